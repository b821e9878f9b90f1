// Package metrics exposes what hookd is doing in the Prometheus text format:
// HTTP requests, the delivery engine (as its delivery.Observer), the stored
// delivery backlog (read at scrape time) and the Go runtime and process.
//
// Labels are bounded by construction: routes are patterns, methods and
// outcomes are mapped onto fixed sets, and nothing is labelled by webhook,
// delivery or event, whose numbers grow without limit.
package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/delivery"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

const namespace = "hookd"

// Config wires the metrics to what they read.
type Config struct {
	// Stats is read at every scrape for the backlog gauges.
	Stats   store.StatsStore
	Clock   clockwork.Clock // nil: the real clock
	Logger  *slog.Logger    // nil: discard
	Version string
}

// Metrics holds hookd's series in a registry of its own (not the global
// default one, which any imported library may write to).
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec

	eventsPublished   prometheus.Counter
	deliveriesCreated prometheus.Counter
	attempts          *prometheus.CounterVec
	deliveries        *prometheus.CounterVec
	attemptDuration   prometheus.Histogram
	attemptsInFlight  prometheus.Gauge
}

var _ delivery.Observer = (*Metrics)(nil)

// attemptBuckets reach past the default 15 s attempt timeout.
var attemptBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30}

// New registers every series.
func New(cfg Config) *Metrics {
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		eventsPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_published_total",
			Help: "Events stored by a publish (a replayed publish is not counted again).",
		}),
		deliveriesCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_created_total",
			Help: "Deliveries created by published events (one per subscribed webhook).",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "delivery_attempts_total",
			Help: "Delivery attempts finished, by the delivery's status after the attempt (succeeded, retrying, dead_lettered, failed_to_record, other).",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_total",
			Help: "Deliveries that reached a final outcome through an attempt (succeeded, dead_lettered).",
		}, []string{"outcome"}),
		attemptDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "delivery_attempt_duration_seconds",
			Help:    "Duration of delivery attempts, from sending the request to the end of the response or the error.",
			Buckets: attemptBuckets,
		}),
		attemptsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "delivery_attempts_in_flight",
			Help: "Delivery attempts started and not yet recorded: waiting on their receivers (at most the workers) or being recorded.",
		}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; the labels say which hookd runs.",
		ConstLabels: prometheus.Labels{"version": cfg.Version, "go_version": runtime.Version()},
	})
	buildInfo.Set(1)
	// Known outcomes start at 0, so that rate() and alerts see the series
	// before the first event of each kind.
	for _, o := range attemptOutcomes {
		m.attempts.WithLabelValues(o)
	}
	for _, o := range finalOutcomes {
		m.deliveries.WithLabelValues(o)
	}
	m.reg.MustRegister(
		m.requests, m.requestDuration,
		m.eventsPublished, m.deliveriesCreated, m.attempts, m.deliveries, m.attemptDuration, m.attemptsInFlight,
		buildInfo,
		newBacklogCollector(cfg.Stats, cfg.Clock, cfg.Logger),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A failing backlog query must not hide the other series.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      errorLog{cfg.Logger},
	})
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry is where the series live (tests gather from it directly).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest counts one HTTP request. route must come from a fixed set
// (a pattern, or "unmatched"); the method is mapped onto the methods hookd
// knows, since a client may send any token there.
func (m *Metrics) ObserveRequest(route, method string, code int, took time.Duration) {
	m.requests.WithLabelValues(route, methodLabel(method), strconv.Itoa(code)).Inc()
	m.requestDuration.WithLabelValues(route).Observe(took.Seconds())
}

func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// EventPublished implements delivery.Observer.
func (m *Metrics) EventPublished(deliveries int) {
	m.eventsPublished.Inc()
	m.deliveriesCreated.Add(float64(deliveries))
}

// AttemptStarted implements delivery.Observer.
func (m *Metrics) AttemptStarted() { m.attemptsInFlight.Inc() }

const outcomeFailedToRecord = "failed_to_record"

var (
	attemptOutcomes = []string{store.DeliverySucceeded, store.DeliveryRetrying, store.DeliveryDeadLettered, outcomeFailedToRecord}
	finalOutcomes   = []string{store.DeliverySucceeded, store.DeliveryDeadLettered}
)

// AttemptFinished implements delivery.Observer.
func (m *Metrics) AttemptFinished(outcome string, took time.Duration) {
	m.attemptsInFlight.Dec()
	m.attemptDuration.Observe(took.Seconds())
	switch outcome {
	case store.DeliverySucceeded, store.DeliveryDeadLettered:
		m.deliveries.WithLabelValues(outcome).Inc()
	case store.DeliveryRetrying, outcomeFailedToRecord:
	default:
		outcome = "other"
	}
	m.attempts.WithLabelValues(outcome).Inc()
}

// DeliveryEnded implements delivery.Observer.
func (m *Metrics) DeliveryEnded(outcome string) {
	if slices.Contains(finalOutcomes, outcome) {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
}

// errorLog puts promhttp's errors in the structured log.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Println(v ...any) { e.log.Error("serve metrics", "error", fmt.Sprint(v...)) }
