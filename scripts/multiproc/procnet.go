package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// socketOwner finds which of pids holds the client end of the loopback TCP
// connection whose client address is client (ip:port) and whose server
// port is serverPort, from Linux's /proc: the connection's inode in
// /proc/net/tcp, then the process whose /proc/<pid>/fd links to it. It
// returns 0 when none does (or not on Linux).
func socketOwner(client string, serverPort int, pids []int) int {
	_, portStr, err := net.SplitHostPort(client)
	if err != nil {
		return 0
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return 0
	}
	inode := tcpInode(port, serverPort)
	if inode == "" {
		return 0
	}
	want := "socket:[" + inode + "]"
	for _, pid := range pids {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && link == want {
				return pid
			}
		}
	}
	return 0
}

// tcpInode is the inode of the IPv4 socket with local port local and
// remote port remote, "" when there is none.
func tcpInode(local, remote int) string {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		if hexPort(fields[1]) == local && hexPort(fields[2]) == remote {
			return fields[9]
		}
	}
	return ""
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
