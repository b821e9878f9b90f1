package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// statsTimeout bounds the backlog query of one scrape.
const statsTimeout = 5 * time.Second

// backlogCollector reads the stored delivery backlog at scrape time: the
// numbers live in the database, not in the engine's memory, so they are
// right after a restart and with any number of workers.
type backlogCollector struct {
	stats store.StatsStore
	clock clockwork.Clock
	log   *slog.Logger

	due, retrying, oldestAge *prometheus.Desc
}

func newBacklogCollector(stats store.StatsStore, clock clockwork.Clock, log *slog.Logger) *backlogCollector {
	return &backlogCollector{
		stats: stats, clock: clock, log: log,
		due: prometheus.NewDesc(namespace+"_deliveries_due",
			"Deliveries waiting for an attempt now (pending or retrying, next attempt time reached, no attempt running).", nil, nil),
		retrying: prometheus.NewDesc(namespace+"_deliveries_retrying",
			"Deliveries in status retrying, due or not.", nil, nil),
		oldestAge: prometheus.NewDesc(namespace+"_deliveries_oldest_due_age_seconds",
			"How long the longest-waiting due delivery has been due; 0 when none is.", nil, nil),
	}
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.due
	ch <- c.retrying
	ch <- c.oldestAge
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	if c.stats == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	now := c.clock.Now()
	st, err := c.stats.DeliveryStats(ctx, now)
	if err != nil {
		c.log.Error("read delivery stats for metrics", "error", err)
		for _, d := range []*prometheus.Desc{c.due, c.retrying, c.oldestAge} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	age := 0.0
	if st.OldestDueAt != nil {
		age = max(0, now.Sub(*st.OldestDueAt).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(st.Due))
	ch <- prometheus.MustNewConstMetric(c.retrying, prometheus.GaugeValue, float64(st.Retrying))
	ch <- prometheus.MustNewConstMetric(c.oldestAge, prometheus.GaugeValue, age)
}
