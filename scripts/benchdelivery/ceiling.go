package main

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/signing"
	"github.com/hookd/terraform-provider-hookd/internal/rules"

	"github.com/hookd/terraform-provider-hookd/scripts/internal/num"
)

// ceilingResult is what a plain client gets out of the same receiver.
type ceilingResult struct {
	Concurrency   int       `json:"concurrency"`
	BodyBytes     int       `json:"body_bytes"`
	RequestsPerS  float64   `json:"requests_per_s"`
	Samples       []float64 `json:"requests_per_s_samples"`
	FailedRequest int64     `json:"failed_requests"`
	CPU           *cpuUse   `json:"cpu,omitempty"`
}

// ceiling sends, from `workers` goroutines in a closed loop, the request
// hookd sent for a delivery (its body, its headers), freshly signed with
// the webhook's secret for every request as hookd does, to the same
// receiver: the most deliveries/s hookd could reach on this machine with
// this many workers if storing and scheduling them cost nothing. The rate
// is the median over intervals of cfg.interval after cfg.warmup.
func ceiling(ctx context.Context, cfg *config, rcv *receiver, s *sample, secret string, workers int) (ceilingResult, error) {
	res := ceilingResult{Concurrency: workers, BodyBytes: len(s.Body)}
	if _, err := rules.ParseSigningSecret(secret); err != nil {
		return res, err
	}
	header := s.Header.Clone()
	for _, name := range []string{signing.HeaderID, signing.HeaderTimestamp, signing.HeaderSignature, signing.HeaderStripeStyle,
		headerDeliveryID, "Content-Length", "Accept-Encoding"} {
		header.Del(name)
	}
	// Like hookd's: keep-alive connections, one per worker.
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: max(100, workers), MaxIdleConnsPerHost: workers, IdleConnTimeout: 90 * time.Second,
	}}
	defer client.CloseIdleConnections()

	var sent, failed atomic.Int64
	var seq atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := strconv.FormatInt(seq.Add(1), 10)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, rcv.url, bytes.NewReader(s.Body))
				if err != nil {
					failed.Add(1)
					continue
				}
				req.Header = header.Clone()
				signed, err := signing.Headers("evt_ceiling"+n, time.Now(), s.Body, secret)
				if err != nil {
					failed.Add(1)
					continue
				}
				for name, values := range signed {
					req.Header[name] = values
				}
				req.Header.Set(headerDeliveryID, "dlv_ceiling"+n)
				r, err := client.Do(req)
				if err != nil || r.StatusCode/100 != 2 {
					failed.Add(1)
				} else {
					sent.Add(1)
				}
				if r != nil {
					_ = r.Body.Close()
				}
			}
		}()
	}
	sleepUntil(ctx, time.Now().Add(cfg.warmup))
	type point struct {
		at time.Time
		n  int64
	}
	meter := startCPU(nil)
	pts := []point{{time.Now(), sent.Load()}}
	for end := pts[0].at.Add(cfg.ceiling); ctx.Err() == nil; {
		sleepUntil(ctx, pts[len(pts)-1].at.Add(cfg.interval))
		p := point{time.Now(), sent.Load()}
		pts = append(pts, p)
		if !p.at.Before(end) {
			break
		}
	}
	res.CPU = meter.stop()
	close(stop)
	wg.Wait()
	_ = rcv.take()
	for i := 1; i < len(pts); i++ {
		res.Samples = append(res.Samples, float64(pts[i].n-pts[i-1].n)/pts[i].at.Sub(pts[i-1].at).Seconds())
	}
	res.RequestsPerS = num.Median(res.Samples)
	res.FailedRequest = failed.Load()
	return res, ctx.Err()
}
