package main

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/testlog"
)

// The demo prints the console's address and a key that signs in there, and
// stops when its context ends.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out testlog.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-every", "50ms"}, &out) }()
	printed := regexp.MustCompile(`hookd console: (\S+)\nsign in with the API key: (\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	var m []string
	for m == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no address printed:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
		m = printed.FindStringSubmatch(out.String())
	}
	res, err := http.Get(m[1] + "sign-in")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the console's sign-in page: %d", res.StatusCode)
	}
	time.Sleep(200 * time.Millisecond) // a few events
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
