package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is one PostgreSQL server this process started: initdb into a
// temporary directory, postgres listening on 127.0.0.1 on a free port, no
// unix socket, trust authentication for the superuser "postgres". It is
// stopped by its PID, never by name: other servers on the machine (another
// test binary's, a system cluster) are not ours to touch.
type Server struct {
	dir  string // the temporary directory: data/ and postgres.log
	port int
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when cmd.Wait has returned

	stopOnce sync.Once
	stopErr  error
}

// Option changes how Start configures the server.
type Option func(*config)

type config struct {
	settings map[string]string
	durable  bool
}

// WithSetting passes `-c name=value` to postgres; it wins over the
// defaults (including the non-durable ones).
func WithSetting(name, value string) Option {
	return func(c *config) { c.settings[name] = value }
}

// Durable keeps PostgreSQL's crash-safety settings. Without it, fsync,
// synchronous_commit and full_page_writes are off: a test server's data
// needs to survive no crash, and syncing costs seconds per test run.
func Durable() Option {
	return func(c *config) { c.durable = true }
}

// The limits of starting one server.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	portAttempts = 3
	logTail      = 2048 // bytes of the server's log quoted in a start error
)

// Start runs initdb and then postgres, and returns once a connection works.
// As root (initdb and postgres both refuse to run as root) the two run as
// the "postgres" system user, which Debian's package creates.
func Start(opts ...Option) (*Server, error) {
	return startWith(freePort, opts...)
}

// startWith is Start with the choice of port injected, so that a test can
// hand it a taken one first.
func startWith(ports func() (int, error), opts ...Option) (*Server, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	cfg := config{settings: map[string]string{}}
	for _, o := range opts {
		o(&cfg)
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := makeDir(cred)
	if err != nil {
		return nil, err
	}
	s, err := start(bin, dir, cred, cfg, ports)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// credential is the user the server runs as; nil means this process's own.
type credential struct{ uid, gid uint32 }

func serverUser() (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, PostgreSQL must run as the system user \"postgres\" (Debian's postgresql package creates it): %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: gid of postgres: %w", err)
	}
	return &credential{uid: uint32(uid), gid: uint32(gid)}, nil
}

// makeDir creates the server's temporary directory, owned by the user the
// server runs as. Under os.TempDir (/tmp, world-traversable) rather than a
// test's t.TempDir, which may sit below a directory that user cannot enter.
func makeDir(cred *credential) (string, error) {
	dir, err := os.MkdirTemp(os.TempDir(), "pgtest-")
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.uid), int(cred.gid)); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("pgtest: %w", err)
		}
	}
	return dir, nil
}

func start(bin, dir string, cred *credential, cfg config, ports func() (int, error)) (*Server, error) {
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	var out bytes.Buffer
	initdb.Stdout, initdb.Stderr = &out, &out
	if err := prepare(initdb, dir, cred, false); err != nil {
		return nil, err
	}
	if err := initdb.Run(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, tail(out.Bytes()))
	}

	args := settingArgs(cfg)
	var err error
	for attempt := 0; attempt < portAttempts; attempt++ {
		var port int
		if port, err = ports(); err != nil {
			return nil, err
		}
		var s *Server
		s, err = launch(bin, dir, cred, port, args)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("pgtest: postgres could not bind a free port in %d attempts (last: %w)", portAttempts, err)
}

// settingArgs is postgres's `-c` arguments: the defaults, then the options,
// sorted so that a server's command line reads the same every time.
func settingArgs(cfg config) []string {
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": "", // TCP only: no socket file to clean up or to collide on
		"max_connections":         "200",
	}
	if !cfg.durable {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	for k, v := range cfg.settings {
		settings[k] = v
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	args := make([]string, 0, 2*len(names))
	for _, k := range names {
		args = append(args, "-c", k+"="+settings[k])
	}
	return args
}

// errPortTaken: postgres could not bind the port freePort found, which
// someone else took in between; Start tries another.
var errPortTaken = errors.New("port taken")

// launch starts postgres on port and waits until it accepts a connection.
func launch(bin, dir string, cred *credential, port int, settings []string) (*Server, error) {
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	args := append([]string{"-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(port)}, settings...)
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := prepare(cmd, dir, cred, true); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("pgtest: postgres: %w", err)
	}
	s := &Server{dir: dir, port: port, cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(); err != nil {
		s.kill()
		_ = logFile.Close()
		logged, _ := os.ReadFile(logPath)
		if bytes.Contains(logged, []byte("could not bind")) || bytes.Contains(logged, []byte("could not create any TCP/IP sockets")) {
			return nil, fmt.Errorf("%w: %d", errPortTaken, port)
		}
		return nil, fmt.Errorf("pgtest: postgres on port %d: %w\n%s", port, err, tail(logged))
	}
	return s, nil
}

// waitReady polls until a connection works, the server exits, or
// startTimeout passes. Polling is the only readiness signal postgres gives
// without a unix socket or pg_ctl.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		// A server that exits ends the attempt at once: the port it failed
		// to bind may belong to a listener that accepts and never answers.
		go func() {
			select {
			case <-s.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		conn, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited during start-up (%v)", s.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting connections after %s: %w", startTimeout, err)
		}
	}
}

// prepare sets what initdb and postgres both need: their own directory as
// working directory (the caller's may not be enterable by the postgres
// user), English messages for the log tail, and the user to run as.
func prepare(cmd *exec.Cmd, dir string, cred *credential, server bool) error {
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	attr, err := sysProcAttr(cred, server)
	if err != nil {
		return err
	}
	cmd.SysProcAttr = attr
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port //nolint:forcetypeassert // a "tcp" listener's address is always *net.TCPAddr
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	return port, nil
}

func tail(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > logTail {
		b = b[len(b)-logTail:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// DSN is the URL of database on this server, as the superuser.
func (s *Server) DSN(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the TCP port the server listens on, on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// PID is the postgres (postmaster) process's id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Dir is the server's temporary directory (data/ and postgres.log); Stop
// removes it.
func (s *Server) Dir() string { return s.dir }

// CreateDatabase creates an empty database called name.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	return s.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
}

// DropDatabase drops the database called name, ending its connections
// (WITH (FORCE)): a test that left a pool open must not make cleanup fail.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	return s.admin(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func (s *Server) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}

// Stop shuts the server down and removes its directory: SIGINT (fast
// shutdown: connections are ended, no waiting for clients) to its PID, up
// to 10 s to exit, then SIGKILL. Calling it again returns the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if err := s.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, fmt.Errorf("pgtest: interrupt postgres (pid %d): %w", s.PID(), err))
		}
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			errs = append(errs, fmt.Errorf("pgtest: postgres (pid %d) still running %s after SIGINT; killed", s.PID(), stopTimeout))
			s.kill()
		}
		if err := s.log.Close(); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: %w", err))
		}
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: %w", err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// kill sends SIGKILL and waits for the process to be reaped.
func (s *Server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}
