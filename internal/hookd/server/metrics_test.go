package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
)

// scrape GETs a metrics URL (with key when not "") and parses the text format.
func scrape(t *testing.T, client *http.Client, url, key string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return fams
}

// series is the value of the series of family name whose labels include
// want: a counter's or gauge's value, a histogram's sample count. ok is
// false when there is no such series.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

type expect struct {
	name   string
	labels map[string]string
	want   float64
}

func checkSeries(t *testing.T, fams map[string]*dto.MetricFamily, want []expect) {
	t.Helper()
	for _, e := range want {
		got, ok := series(fams, e.name, e.labels)
		if !ok {
			t.Errorf("no series %s%v", e.name, e.labels)
		} else if got != e.want {
			t.Errorf("%s%v = %v, want %v", e.name, e.labels, got, e.want)
		}
	}
}

// After API calls and deliveries to a loopback receiver, /metrics shows
// them: HTTP requests by route pattern (unknown paths as "unmatched"),
// publishes, attempts by outcome, attempts in flight, and the stored
// backlog (due, retrying, oldest due age) read at scrape time with the
// injected clock.
func TestMetricsScrape(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	first := make(chan struct{}, 1)
	first <- struct{}{}
	arrived := make(chan string, 10)
	// Every delivery is verified, when the test ends, by stripe-go and the
	// Standard Webhooks library with the secret the API answered.
	receiver := hookdtest.NewReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.URL.Path
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		select {
		case <-first: // the first attempt holds the only worker
			<-release
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}).URL
	t.Cleanup(releaseAll) // before the receiver closes, which waits for its handlers
	s := hookdtest.Start(t, hookdtest.WithClock(clock), hookdtest.WithConfig(func(c *server.Config) {
		c.DeliveryWorkers = 1 // the second delivery waits, due, behind the first
		c.Jitter = func() float64 { return 0 }
	}))
	client := contractClient(t)
	key := s.APIKey
	mustCall := func(method, path, body string, want int) map[string]any {
		t.Helper()
		status, out := call(t, s, key, method, path, body)
		if status != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, status, want, out)
		}
		return out
	}
	for _, p := range []string{"/a", "/b"} {
		wh := mustCall("POST", "/v1/webhooks/account", `{"url":"`+receiver+p+`","events":["transfer.created"]}`, http.StatusCreated)
		hookdtest.Trust(receiver+p, fmt.Sprint(wh["secret"]))
	}
	wh := mustCall("POST", "/v1/webhooks/account", `{"url":"`+receiver+`/fail","events":["transfer.expired"]}`, http.StatusCreated)
	hookdtest.Trust(receiver+"/fail", fmt.Sprint(wh["secret"]))
	mustCall("GET", "/v1/groups/grp_missing", "", http.StatusNotFound)
	mustCall("GET", "/v1/webhooks/wh_missing/deliveries", "", http.StatusNotFound)
	if status, _ := call(t, s, "wrong-key", "GET", "/v1/groups", ""); status != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", status)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/random/a1"}, {"GET", "/random/b2"}, {"GET", "/v1/webhooks/wh_x/nope"}, {"BREW", "/v1/groups"},
	} {
		req, _ := http.NewRequest(r.method, s.URL+r.path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req) // outside the contract on purpose
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}

	mustCall("POST", "/v1/events", `{"type":"transfer.created","data":`+example(t, s, "transfer.created")+`}`, http.StatusAccepted)
	firstPath := <-arrived
	// The other delivery has been due since the publish; 30 s pass while
	// the only worker is busy with the first.
	clock.Advance(30 * time.Second)
	scrapes := 0
	scrapeAPI := func() map[string]*dto.MetricFamily {
		scrapes++
		return scrape(t, client, s.URL+"/metrics", key)
	}
	// A request is counted once its response is written, which the client
	// may see a moment earlier: wait for the last API call to show.
	var fams map[string]*dto.MetricFamily
	eventually(t, "the publish to be counted", func() bool {
		fams = scrapeAPI()
		n, _ := series(fams, "hookd_http_requests_total", map[string]string{"route": "/v1/events"})
		return n == 1
	})
	checkSeries(t, fams, []expect{
		{"hookd_http_requests_total", map[string]string{"route": "/v1/webhooks/account", "method": "POST", "code": "201"}, 3},
		{"hookd_http_requests_total", map[string]string{"route": "/v1/groups/{group_id}", "method": "GET", "code": "404"}, 1},
		{"hookd_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}, 3},
		{"hookd_http_requests_total", map[string]string{"route": "/v1/webhooks/{webhook_id}/deliveries", "method": "GET", "code": "404"}, 1},
		{"hookd_http_requests_total", map[string]string{"route": "/v1/groups", "method": "GET", "code": "401"}, 1},
		{"hookd_http_requests_total", map[string]string{"route": "/v1/groups", "method": "other", "code": "405"}, 1},
		{"hookd_http_requests_total", map[string]string{"route": "/v1/events", "method": "POST", "code": "202"}, 1},
		{"hookd_http_request_duration_seconds", map[string]string{"route": "/v1/webhooks/account"}, 3},
		{"hookd_events_published_total", nil, 1},
		{"hookd_deliveries_created_total", nil, 2},
		{"hookd_delivery_attempts_in_flight", nil, 1},
		{"hookd_deliveries_due", nil, 1},
		{"hookd_deliveries_oldest_due_age_seconds", nil, 30},
		{"hookd_deliveries_retrying", nil, 0},
		{"hookd_delivery_attempts_total", map[string]string{"outcome": "succeeded"}, 0},
		{"hookd_build_info", map[string]string{"version": "test"}, 1},
	})
	for _, f := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[f] == nil {
			t.Errorf("no %s: the Go and process collectors are missing", f)
		}
	}
	for _, m := range fams["hookd_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if v := l.GetValue(); strings.Contains(v, "random") || strings.Contains(v, "_missing") || v == "BREW" {
				t.Errorf("a raw path became a label value: %v", m.GetLabel())
			}
		}
	}

	releaseAll()
	if got := <-arrived; got == firstPath || got == "/fail" {
		t.Fatalf("second attempt went to %s, first to %s", got, firstPath)
	}
	mustCall("POST", "/v1/events", `{"type":"transfer.expired","data":`+example(t, s, "transfer.expired")+`}`, http.StatusAccepted)
	<-arrived
	var last map[string]*dto.MetricFamily
	// A scrape is not atomic: the registry reads its collectors at once,
	// each at its own moment (the backlog query, the duration histogram,
	// the in-flight gauge and the attempt counters, which the last attempt
	// changes one after another), so wait until every one of them shows
	// the last attempt.
	eventually(t, "the three attempts to be recorded", func() bool {
		last = scrapeAPI()
		n, _ := series(last, "hookd_delivery_attempt_duration_seconds", nil)
		r, _ := series(last, "hookd_deliveries_retrying", nil)
		m, _ := series(last, "hookd_http_requests_total", map[string]string{"route": "/metrics"})
		f, _ := series(last, "hookd_delivery_attempts_in_flight", nil)
		a, _ := series(last, "hookd_delivery_attempts_total", map[string]string{"outcome": "retrying"})
		return n == 3 && r == 1 && m == float64(scrapes-1) && f == 0 && a == 1
	})
	checkSeries(t, last, []expect{
		{"hookd_events_published_total", nil, 2},
		{"hookd_delivery_attempts_total", map[string]string{"outcome": "succeeded"}, 2},
		{"hookd_delivery_attempts_total", map[string]string{"outcome": "retrying"}, 1},
		{"hookd_deliveries_total", map[string]string{"outcome": "succeeded"}, 2},
		{"hookd_deliveries_total", map[string]string{"outcome": "dead_lettered"}, 0},
		{"hookd_delivery_attempts_in_flight", nil, 0},
		{"hookd_deliveries_due", nil, 0}, // the retry is scheduled later
		{"hookd_deliveries_retrying", nil, 1},
		{"hookd_deliveries_oldest_due_age_seconds", nil, 0},
		// Scrapes are requests too; a scrape is counted once it is served,
		// so the last one sees all but itself.
		{"hookd_http_requests_total", map[string]string{"route": "/metrics", "method": "GET", "code": "200"}, float64(scrapes - 1)},
	})
}

// Without --metrics-addr, /metrics is on the API listener and needs the key;
// with it, only the separate listener serves it, without a key.
func TestMetricsListeners(t *testing.T) {
	s := hookdtest.Start(t)
	if status, body := call(t, s, "wrong-key", "GET", "/metrics", ""); status != http.StatusUnauthorized || body["code"] != "unauthorized" {
		t.Fatalf("/metrics with a wrong key: %d %v", status, body)
	}
	scrape(t, contractClient(t), s.URL+"/metrics", s.APIKey)

	own := hookdtest.Start(t, hookdtest.WithConfig(func(c *server.Config) { c.MetricsOwnListener = true }))
	if status, body := call(t, own, own.APIKey, "GET", "/metrics", ""); status != http.StatusNotFound {
		t.Fatalf("/metrics on the API listener with MetricsOwnListener: %d %v", status, body)
	}
	// Without a key it is a path as any other: 401, telling nothing of
	// where the metrics are (as the contract says).
	if status, body := call(t, own, "", "GET", "/metrics", ""); status != http.StatusUnauthorized || body["code"] != "unauthorized" {
		t.Fatalf("/metrics on the API listener with MetricsOwnListener, no key: %d %v", status, body)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- own.ServeMetrics(ln) }()
	fams := scrape(t, http.DefaultClient, "http://"+ln.Addr().String()+"/metrics", "")
	if _, ok := series(fams, "hookd_deliveries_due", nil); !ok {
		t.Error("the metrics listener serves no hookd_deliveries_due")
	}
	res, err := http.Get("http://" + ln.Addr().String() + "/v1/groups")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("the metrics listener serves the API: GET /v1/groups = %d", res.StatusCode)
	}
	own.Stop()
	if err := <-done; err != nil {
		t.Errorf("ServeMetrics after Shutdown: %v", err)
	}
}

func example(t *testing.T, s *hookdtest.Server, eventType string) string {
	t.Helper()
	status, out := call(t, s, s.APIKey, "GET", "/v1/webhooks/events", "")
	if status != http.StatusOK {
		t.Fatalf("catalog: %d", status)
	}
	data, _ := out["data"].([]any)
	for _, item := range data {
		et, _ := item.(map[string]any)
		if et["type"] == eventType {
			b, err := json.Marshal(et["example"])
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("no %s in the catalog", eventType)
	return ""
}

// eventually polls cond for up to 5 s of real time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
