package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/netpolicy"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// Failure classes of an attempt (Delivery.LastError, Attempt.Error).
const (
	ErrorTimeout            = "timeout"
	ErrorConnection         = "connection_error"
	ErrorTLS                = "tls_error"
	ErrorHTTP               = "http_error"
	ErrorRedirect           = "redirect"
	ErrorRefusedDestination = "refused_destination"
	// ErrorInternal: hookd could not make the attempt (its webhook or event
	// unreadable, its secret not decrypted) until the delivery's deadline.
	ErrorInternal            = "internal_error"
	redacted                 = "[redacted]"
	headerTestDelivery       = "Hookd-Test-Delivery"
	headerDeliveryID         = "Hookd-Delivery-Id"
	headerAttempt            = "Hookd-Attempt"
	headerStripeStyleSigning = "Hookd-Signature"
)

// Outcome is the result of one attempt.
type Outcome struct {
	DeliveryID         string
	Succeeded          bool
	ResponseStatusCode *int
	DurationMS         int64
	Error              *string
	retryAfter         time.Duration
}

// runAttempt makes one attempt of a claimed delivery and records it,
// advancing the delivery's state. The caller holds a worker and the lease
// given; d is the delivery as the claim returned it. When w
// is not nil, the worker is handed off (w.sent) as soon as the receiver
// has answered, and the attempt is recorded without it.
func (e *Engine) runAttempt(ctx context.Context, d *store.Delivery, lease store.Lease, trigger string, w *worker) Outcome {
	out := Outcome{DeliveryID: d.ID}
	token := lease.Token
	wh, err := e.store.GetWebhook(ctx, d.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		e.cancelDelivery(ctx, d, token)
		return out
	}
	if err != nil {
		e.log.Error("load webhook for delivery", "delivery_id", d.ID, "error", err)
		e.releaseForLater(ctx, nil, d, token)
		return out
	}
	if !d.IsTest && (!wh.Active || wh.Status == store.StatusAutoDisabled) {
		e.cancelDelivery(ctx, d, token)
		return out
	}
	ev, err := e.store.GetEvent(ctx, d.EventID)
	if err != nil {
		e.log.Error("load event for delivery", "delivery_id", d.ID, "error", err)
		e.releaseForLater(ctx, wh, d, token)
		return out
	}

	number := d.AttemptCount + 1
	started := e.clock.Now().UTC()
	req, err := e.buildRequest(ctx, wh, ev, d, number, started)
	if err != nil {
		e.log.Error("build delivery request", "delivery_id", d.ID, "error", err)
		e.releaseForLater(ctx, wh, d, token)
		return out
	}
	budget := e.sendBudget(d, lease)
	if budget < e.cfg.AttemptTimeout/2 {
		e.log.Warn("attempt not sent: this worker was held up since its claim (a pause: GC, a starved CPU), and too little of the attempt's time is left; the delivery is given back",
			"delivery_id", d.ID, "time_left", budget.String())
		e.giveBack(ctx, d, token)
		return out
	}
	attempt := store.Attempt{DeliveryID: d.ID, Number: number, Trigger: trigger, StartedAt: started, RequestHeaders: redactHeaders(req.Header)}
	e.cfg.Observer.AttemptStarted()
	res := e.send(req, budget)
	if w != nil {
		w.sent()
	}
	res.DeliveryID = d.ID
	attempt.DurationMS, attempt.ResponseStatusCode, attempt.Error, attempt.ResponseBody = res.DurationMS, res.ResponseStatusCode, res.Error, res.body
	e.advance(ctx, wh, d, token, &attempt, res, trigger)
	return res.Outcome
}

// attemptResult is an Outcome plus what only the engine needs.
type attemptResult struct {
	Outcome
	body string
}

func (e *Engine) buildRequest(ctx context.Context, wh *store.Webhook, ev *store.Event, d *store.Delivery, number int, ts time.Time) (*http.Request, error) {
	signed, err := signatureHeaders(wh, ev, ts)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, strings.NewReader(string(ev.Body)))
	if err != nil {
		return nil, err
	}
	// Custom headers first, so that nothing of ours can be overridden (the
	// API rejects reserved names; this is the second line).
	for name, value := range wh.Headers {
		req.Header.Set(name, value)
	}
	for name, values := range signed {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hookd/"+e.cfg.Version)
	req.Header.Set(headerDeliveryID, d.ID)
	req.Header.Set(headerAttempt, strconv.Itoa(number))
	if wh.AuthToken != "" {
		req.Header.Set("Authorization", "Bearer "+wh.AuthToken)
	}
	if d.IsTest {
		req.Header.Set(headerTestDelivery, "true")
	}
	return req, nil
}

// sendBudget is how long the request may run: what is left of the attempt
// timeout counted from the claim, so that the request ends before the lease
// does, with the lease's margin left to record it. A worker held up after
// its claim (a pause: GC, a starved CPU) gets less, and one held up past
// the attempt timeout none: it must not send, since once its lease ends
// another claim may be attempting the delivery (only the recording is
// fenced by the lease's token; a request, once sent, cannot be taken
// back). runAttempt sends only with half the timeout left or more: a
// timeout with less would be the pause's fault, and would count as the
// receiver's failed attempt. The test attempt of POST .../test keeps the
// whole timeout, as long as it ends within an attempt timeout after its
// lease: nothing claims its delivery again (it has no next attempt, and
// only retrying and dead-lettered deliveries are retried by hand), and the
// sweep of interrupted tests waits that long past the lease
// (Engine.prune). A replay of a test delivery is a test delivery too, but
// one the scheduler claims like any other (it has a next attempt): it is
// held to the lease like any other.
func (e *Engine) sendBudget(d *store.Delivery, lease store.Lease) time.Duration {
	if d.IsTest && d.Status == store.DeliveryPending && d.NextAttemptAt == nil {
		return min(e.cfg.AttemptTimeout, lease.Until.Add(e.cfg.AttemptTimeout).Sub(e.clock.Now()))
	}
	return min(e.cfg.AttemptTimeout, lease.Until.Sub(e.clock.Now())-LeaseMargin(e.cfg.AttemptTimeout))
}

// send makes the HTTP request, for at most budget, and classifies the
// result.
func (e *Engine) send(req *http.Request, budget time.Duration) attemptResult {
	// start is taken before the deadline is set, so a timed-out attempt
	// never reports less than its budget.
	start := time.Now()
	ctx, cancel := context.WithTimeout(req.Context(), budget)
	defer cancel()
	res, err := e.client.Do(req.WithContext(ctx))
	var out attemptResult
	if err != nil {
		out.DurationMS = time.Since(start).Milliseconds()
		class := classify(ctx, err)
		out.Error = &class
		var refused *netpolicy.RefusedError
		if errors.As(err, &refused) {
			// Nothing was sent, so there is no response body: the attempt's
			// holds why, for the API and the console to show.
			out.body = refusedDetail(req.URL.Hostname(), refused)
		}
		return out
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxResponseBody))
	// Drain a little more so the connection can be reused, but never much.
	_, _ = io.CopyN(io.Discard, res.Body, 64<<10)
	out.DurationMS = time.Since(start).Milliseconds()
	code := res.StatusCode
	out.ResponseStatusCode = &code
	// Kept as text: valid UTF-8 without NUL, which PostgreSQL's text
	// refuses (a binary answer must not make the attempt unrecordable).
	out.body = strings.ReplaceAll(strings.ToValidUTF8(string(body), string(utf8.RuneError)), "\x00", string(utf8.RuneError))
	switch {
	case code >= 200 && code < 300:
		out.Succeeded = true
	case code >= 300 && code < 400:
		class := ErrorRedirect
		out.Error = &class
	default:
		class := ErrorHTTP
		out.Error = &class
		// An HTTP-date Retry-After is read against the engine's clock, the
		// one the schedule runs on.
		out.retryAfter = parseRetryAfter(res.Header, e.clock.Now())
	}
	return out
}

// refusedDetail says why an attempt to host was refused before it
// connected, and how to allow it: the address dialled and what it is, never
// the URL's path or query (which may hold a token).
func refusedDetail(host string, refused *netpolicy.RefusedError) string {
	what := refused.Address + " is " + refused.Kind
	if ap, err := netip.ParseAddrPort(refused.Address); err == nil && !hostIsAddr(host, ap.Addr()) {
		what = host + " resolved to " + refused.Address + ", " + refused.Kind
	}
	return "hookd did not connect: " + what + ", and this server delivers only to public addresses. Point the webhook at a public address, or start hookd with --allow-private-destinations to deliver to private and loopback addresses (development)."
}

// hostIsAddr reports whether host, a URL's host, is addr written out.
func hostIsAddr(host string, addr netip.Addr) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().WithZone("") == addr.Unmap().WithZone("")
}

func classify(ctx context.Context, err error) string {
	var refused *netpolicy.RefusedError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var netErr net.Error
	switch {
	case errors.As(err, &refused):
		return ErrorRefusedDestination
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return ErrorTimeout
	case errors.As(err, &certErr), errors.As(err, &recordErr), errors.As(err, &unknownAuthority),
		errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return ErrorTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return ErrorTimeout
	}
	return ErrorConnection
}

// redactHeaders copies the request headers for the attempt log, without
// credentials or signatures.
func redactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		v := strings.Join(values, ", ")
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Webhook-Signature", headerStripeStyleSigning:
			v = redacted
		}
		out[http.CanonicalHeaderKey(name)] = v
	}
	return out
}
