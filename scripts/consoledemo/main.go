// Command consoledemo is `make console-demo`: hookd with the web console
// and sample traffic until Ctrl-C. It runs hookd in-process on a temporary
// database, three local receivers (one healthy, one that fails two times
// in five, one that answers 410 Gone, so its webhook is auto-disabled with
// dead letters), a webhook for each, and publishes an event of a random
// catalog type every -every. It prints the console's address and the API
// key to sign in with.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/secrets"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "console-demo: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("consoledemo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address of hookd and its console (port 0: any free port)")
	every := fs.Duration("every", time.Second, "how often to publish an event")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hookd-console-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	key := secrets.NewAPIKey()
	s, err := server.New(ctx, server.Config{
		DBPath: filepath.Join(dir, "hookd.db"), APIKey: key, AllowPrivateDestinations: true, Version: "console-demo",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		_ = s.Shutdown(context.Background())
		return fmt.Errorf("listen on %s (choose another with make console-demo CONSOLE_ADDR=127.0.0.1:0, or -addr): %w", *addr, err)
	}
	go func() { _ = s.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()
	c := &apiClient{base: base, key: key}

	types, err := c.catalog(ctx)
	if err != nil {
		return err
	}
	var all []string
	for _, t := range types {
		all = append(all, t.Type)
	}
	receivers := []struct {
		name string
		fail func() int // the status of one answer
	}{
		{"billing-service", func() int { return http.StatusOK }},
		{"flaky-partner", func() int {
			if rand.IntN(5) < 2 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}},
		{"retired-endpoint", func() int { return http.StatusGone }},
	}
	for _, r := range receivers {
		url, stop, err := receiver(r.fail)
		if err != nil {
			return err
		}
		defer stop()
		if err := c.do(ctx, http.MethodPost, "/v1/webhooks/account", map[string]any{"name": r.name, "url": url, "events": all}, nil); err != nil {
			return fmt.Errorf("create webhook %s: %w", r.name, err)
		}
	}
	fmt.Fprintf(stdout, "\nhookd console: %s/console/\nsign in with the API key: %s\n\npublishing an event every %s; Ctrl-C stops\n", base, key, *every)

	tick := time.NewTicker(*every)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout, "\nstopped")
			return nil
		case <-tick.C:
		}
		t := types[rand.IntN(len(types))]
		if err := c.do(ctx, http.MethodPost, "/v1/events", map[string]any{"type": t.Type, "data": t.Example}, nil); err != nil && ctx.Err() == nil {
			fmt.Fprintf(stdout, "publish %s: %v\n", t.Type, err)
		}
	}
}

// receiver serves on a free loopback port, answering status().
func receiver(status func() int) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		code := status()
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"received": %t}`, code < 300)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/hooks", func() { _ = srv.Close() }, nil
}

type eventType struct {
	Type    string          `json:"type"`
	Example json.RawMessage `json:"example"`
}

type apiClient struct{ base, key string }

func (c *apiClient) catalog(ctx context.Context) ([]eventType, error) {
	var out struct {
		Data []eventType `json:"data"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/webhooks/events", nil, &out)
	if err == nil && len(out.Data) == 0 {
		err = errors.New("the event catalog is empty")
	}
	return out.Data, err
}

func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	return hookdproc.CallJSON(ctx, http.DefaultClient, c.base, c.key, method, path, body, out)
}
