package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
)

// tolerance is how far a webhook-timestamp may be from the time the
// delivery arrived, as the README advises receivers.
const tolerance = 5 * time.Minute

// maxBody bounds the body read from one delivery.
const maxBody = 1 << 20

// receiver is the demo's webhook endpoint. Each webhook posts to its own
// path, and the last segment of that path names the file in dir that holds
// its signing secret ("whsec_...", one per line: during a rotation the new
// and the previous one), or for a v1a webhook its public keys ("whpk_...",
// likewise). Files are read again for every delivery. A
// delivery whose secret file does not exist yet (test_on_apply deliveries
// arrive during terraform apply, before anyone could read the secret from
// its output) is answered 202, held, and verified as soon as the file
// appears; its timestamp is checked against the time it arrived.
type receiver struct {
	dir string
	out io.Writer
	now func() time.Time

	mu    sync.Mutex
	held  []*delivery
	stats receiverStats
}

// receiverStats is what GET / answers; demotool wait reads it.
type receiverStats struct {
	Received int `json:"received"`
	Verified int `json:"verified"`
	Failed   int `json:"failed"`
	Held     int `json:"held"`
}

// delivery is one request as it arrived.
type delivery struct {
	name   string // the secret's file name: the last segment of the path
	path   string
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(dir string, out io.Writer) *receiver {
	return &receiver{dir: dir, out: out, now: time.Now}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodGet {
		r.mu.Lock()
		stats := r.stats
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(stats)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "POST deliveries, GET counters", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBody))
	if err != nil {
		http.Error(w, "cannot read the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	d := &delivery{name: path.Base(req.URL.Path), path: req.URL.Path, header: req.Header.Clone(), body: body, at: r.now()}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Received++
	if !validName(d.name) {
		r.stats.Failed++
		r.printf("%s: FAILED: the path does not end in a webhook name", d)
		http.Error(w, "the path must end in a webhook name", http.StatusNotFound)
		return
	}
	secrets, err := r.secrets(d.name)
	switch {
	case err != nil:
		r.stats.Failed++
		r.printf("%s: FAILED: %v", d, err)
		http.Error(w, "cannot read the secret", http.StatusInternalServerError)
	case len(secrets) == 0:
		r.held = append(r.held, d)
		r.stats.Held++
		r.printf("%s: held: no secret for %q yet, verified as soon as it is known", d, d.name)
		w.WriteHeader(http.StatusAccepted)
	default:
		if err := verify(d, secrets); err != nil {
			r.stats.Failed++
			r.printf("%s: signature FAILED: %v", d, err)
			http.Error(w, "signature verification failed", http.StatusUnauthorized)
			return
		}
		r.stats.Verified++
		r.printf("%s: signature verified", d)
		w.WriteHeader(http.StatusNoContent)
	}
}

// retryHeld verifies every held delivery whose secret has appeared since.
func (r *receiver) retryHeld() {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.held[:0]
	for _, d := range r.held {
		secrets, err := r.secrets(d.name)
		if err == nil && len(secrets) == 0 {
			kept = append(kept, d)
			continue
		}
		r.stats.Held--
		if err == nil {
			err = verify(d, secrets)
		}
		waited := r.now().Sub(d.at).Round(100 * time.Millisecond)
		if err != nil {
			r.stats.Failed++
			r.printf("%s: signature FAILED (held %s until its secret was known): %v", d, waited, err)
			continue
		}
		r.stats.Verified++
		r.printf("%s: signature verified (held %s until its secret was known)", d, waited)
	}
	clear(r.held[len(kept):])
	r.held = kept
}

// watch retries held deliveries every interval until ctx ends.
func (r *receiver) watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.retryHeld()
		}
	}
}

// secrets returns the non-empty lines of dir/name; none when the file does
// not exist yet.
func (r *receiver) secrets(name string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// verify checks both signature headers of a delivery with the given
// secrets: each must match one of them, and their timestamp must be within
// tolerance of the time the delivery arrived. Given public keys ("whpk_")
// it checks the v1a signatures of webhook-signature instead, and that no
// Hookd-Signature came (v1a webhooks send none).
func verify(d *delivery, secrets []string) error {
	if len(secrets) > 0 && strings.HasPrefix(secrets[0], signing.PublicKeyPrefix) {
		return verifyAsymmetric(d, secrets)
	}
	var errs []error
	for _, check := range []struct {
		header string
		verify func(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error
	}{
		{"webhook-signature", signing.VerifyStandard},
		{"Hookd-Signature", signing.VerifyStripe},
	} {
		var last error
		for _, s := range secrets {
			if last = check.verify(s, d.header, d.body, d.at, tolerance); last == nil {
				break
			}
		}
		if last != nil {
			errs = append(errs, fmt.Errorf("%s: %w", check.header, last))
		}
	}
	return errors.Join(errs...)
}

func verifyAsymmetric(d *delivery, publicKeys []string) error {
	if v := d.header.Get(signing.HeaderStripeStyle); v != "" {
		return fmt.Errorf("%s: sent for a v1a webhook", signing.HeaderStripeStyle)
	}
	var last error
	for _, k := range publicKeys {
		if last = signing.VerifyAsymmetric(k, d.header, d.body, d.at, tolerance); last == nil {
			return nil
		}
	}
	return fmt.Errorf("webhook-signature: %w", last)
}

// String describes a delivery in one line: its path, webhook-id, event type
// (from the body), whether it is a test delivery (the Hookd-Test-Delivery
// header) and its attempt number.
func (d *delivery) String() string {
	var ev struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(d.body, &ev) != nil || ev.Type == "" {
		ev.Type = "?"
	}
	test := d.header.Get("Hookd-Test-Delivery")
	if test == "" {
		test = "false"
	}
	return fmt.Sprintf("%s webhook-id=%s type=%s Hookd-Test-Delivery=%s attempt=%s",
		d.path, orDash(d.header.Get(signing.HeaderID)), ev.Type, test, orDash(d.header.Get("Hookd-Attempt")))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printf writes one line; callers hold r.mu, so lines never interleave.
func (r *receiver) printf(format string, args ...any) {
	fmt.Fprintf(r.out, "[receiver] "+format+"\n", args...)
}

// validName reports whether s can name a file in the secrets directory.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// receiveCmd runs the receiver until SIGINT or SIGTERM.
func receiveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demotool receive", flag.ContinueOnError)
	dir := fs.String("secrets", "", "directory of secret files, one per webhook, named after the last segment of its URL path")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	addrFile := fs.String("addr-file", "", "write the receiver's base URL (http://host:port) to this file once listening")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "demotool receive: -secrets is required")
		return errUsage
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if *addrFile != "" {
		if err := writeFileAtomic(*addrFile, url+"\n"); err != nil {
			ln.Close()
			return err
		}
	}
	r := newReceiver(*dir, stdout)
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go r.watch(ctx, pollInterval)
	r.printf("listening on %s, verifying with the secrets in %s", url, *dir)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Deliveries in flight get a second; connections hookd opened but never
	// used would hold Shutdown until its deadline, so they are closed.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err = srv.Shutdown(shutdownCtx); errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	r.retryHeld()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	r.printf("stopped after %d %s: %d verified, %d failed, %d held", s.Received, pluralDeliveries(s.Received), s.Verified, s.Failed, s.Held)
	for _, d := range r.held {
		r.printf("%s: never verified: no secret for %q appeared", d, d.name)
	}
	return err
}

func writeFileAtomic(name, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-")
	if err != nil {
		return err
	}
	_, werr := tmp.WriteString(content)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// waitCmd waits until a receiver has seen at least -min deliveries and
// verified all of them.
func waitCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demotool wait", flag.ContinueOnError)
	url := fs.String("receiver", "", "the receiver's base URL (what demotool receive wrote to -addr-file)")
	minimum := fs.Int("min", 0, "wait for at least this many deliveries")
	timeout := fs.Duration("timeout", 20*time.Second, "give up after this long")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *url == "" {
		fmt.Fprintln(stderr, "demotool wait: -receiver is required")
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var last receiverStats
	for {
		s, err := receiverStatus(ctx, *url)
		if err == nil {
			last = s
			if s.Failed > 0 {
				return fmt.Errorf("%d of %d deliveries did not verify (the receiver printed why)", s.Failed, s.Received)
			}
			if s.Received >= *minimum && s.Held == 0 {
				fmt.Fprintf(stdout, "the receiver has verified the signatures of all %d %s\n", s.Verified, pluralDeliveries(s.Verified))
				return nil
			}
		} else if ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return errors.New("interrupted while waiting for the receiver")
			}
			return fmt.Errorf("after %s the receiver has %d deliveries (want at least %d), %d of them held waiting for their secret",
				*timeout, last.Received, *minimum, last.Held)
		case <-time.After(pollInterval):
		}
	}
}

func receiverStatus(ctx context.Context, url string) (receiverStats, error) {
	var s receiverStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(url, "/")+"/", nil)
	if err != nil {
		return s, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("the receiver does not answer: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}
