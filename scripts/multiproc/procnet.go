package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Owners socketIndex.owner reports besides a pid.
const (
	noSocket    = -1  // no socket with that client port (or not on Linux)
	ownerGone   = 0   // a socket no live process of the list holds: its process died
	orphanInode = "0" // the inode /proc/net/tcp gives a socket no descriptor refers to
)

// socketIndex finds which process holds the client end of a loopback TCP
// connection to serverPort, from Linux's /proc: the socket's inode in
// /proc/net/tcp, then the process whose /proc/<pid>/fd links to it.
//
// Reading /proc costs milliseconds (every socket of the machine, every
// descriptor of every process), so the index is built once for many
// connections: a lookup reuses it when it was built after the connection
// was accepted (the client socket existed then, and keeps its port while
// the connection is open), and builds it again otherwise. Lookups run in
// the handlers, never in the receiver's accept loop, which they used to
// slow down enough to time attempts out on a loaded machine.
type socketIndex struct {
	serverPort int
	pids       func() []int // the processes that may hold the sockets

	mu     sync.Mutex
	built  time.Time   // when the last build began
	owners map[int]int // client port -> pid, or ownerGone
}

// owner is the pid holding the client end of the connection from
// clientPort accepted at accepted, ownerGone when the socket exists but
// none of the processes holds it, noSocket when there is no such socket.
func (x *socketIndex) owner(clientPort int, accepted time.Time) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.owners == nil || !x.built.After(accepted) {
		x.built = time.Now()
		x.owners = readOwners(x.serverPort, x.pids())
	}
	if pid, ok := x.owners[clientPort]; ok {
		return pid
	}
	return noSocket
}

// readOwners maps the client port of every IPv4 socket connected to
// serverPort to the pid of pids that holds it (ownerGone for none).
func readOwners(serverPort int, pids []int) map[int]int {
	inodes := tcpInodes(serverPort)
	byInode := make(map[string]int, len(inodes))
	for _, inode := range inodes {
		byInode["socket:["+inode+"]"] = ownerGone
	}
	for _, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // exited
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if _, ok := byInode[link]; ok && err == nil {
				byInode[link] = pid
			}
		}
	}
	owners := make(map[int]int, len(inodes))
	for port, inode := range inodes {
		owners[port] = byInode["socket:["+inode+"]"]
	}
	return owners
}

// tcpInodes maps the local port of each IPv4 socket whose remote port is
// remote to its inode ("0" for a socket no descriptor refers to any more:
// closing, or of a process that died). Where a port has several sockets
// (one closing, one reusing the port), the live one wins.
func tcpInodes(remote int) map[int]string {
	out := map[int]string{}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || hexPort(fields[2]) != remote {
			continue
		}
		local := hexPort(fields[1])
		if prev, ok := out[local]; !ok || prev == orphanInode {
			out[local] = fields[9]
		}
	}
	return out
}

// hexPort is the port of an "ADDR:PORT" field of /proc/net/tcp (hex).
func hexPort(field string) int {
	_, p, ok := strings.Cut(field, ":")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(p, 16, 32)
	if err != nil {
		return -1
	}
	return int(n)
}
