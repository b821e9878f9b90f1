package console

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/httpapi"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// chart is the last 24 hours of a webhook's deliveries, by hour and status,
// drawn by the template as an inline SVG of stacked bars.
type chart struct {
	Bars   []bar
	Max    int
	Total  map[string]int
	Width  int
	Height int
	Ticks  []tick
}

type bar struct {
	X     int
	Label string // the hour, for the bar's title
	Segs  []seg
}

type seg struct {
	Y, H   int
	Status string
	Fill   string
	Count  int
}

type tick struct {
	X     int
	Label string
}

// chartSeries are the statuses drawn, bottom up; pending deliveries count
// as retrying (both are waiting for an attempt).
var chartSeries = []struct{ status, fill string }{
	{store.DeliverySucceeded, "#2f9e5b"}, {store.DeliveryRetrying, "#e0a100"}, {store.DeliveryDeadLettered, "#c83a45"},
}

// The chart's geometry, in the SVG's units. Its text is sized by the
// stylesheet, larger on a narrow screen where the SVG is drawn smaller:
// the hours hang below the axis with room for that.
const (
	chartWidth, chartHeight = 720, 172
	chartBarWidth           = 30
	chartBase               = 140 // the axis; below it, the hours
	chartPlot               = 130 // the tallest bar
	chartLabelY             = chartBase + 4
)

// statsBucket is one hour of the API's GET
// /v1/webhooks/{id}/deliveries/stats, as the API writes it.
type statsBucket = httpapi.StatsBucketJSON

// chartWindow is the chart's 24 hours: the current hour and the 23 before
// it, from since to until (the end of the current hour).
func chartWindow(now time.Time) (since, until time.Time) {
	since = now.UTC().Truncate(time.Hour).Add(-23 * time.Hour)
	return since, since.Add(24 * time.Hour)
}

// last24h counts the webhook's deliveries created in the last 24 hours,
// per hour, through the API (one count over the webhook's index).
func (c *Console) last24h(ctx context.Context, sess *session, webhookID string) (chart, error) {
	since, until := chartWindow(c.clock.Now())
	q := url.Values{"since": {since.Format(time.RFC3339)}, "until": {until.Format(time.RFC3339)}, "interval": {"hour"}}
	var stats httpapi.DeliveryStatsJSON
	if err := c.get(ctx, sess, "/v1/webhooks/"+url.PathEscape(webhookID)+"/deliveries/stats?"+q.Encode(), &stats); err != nil {
		return chart{}, err
	}
	return chartOf(since, stats.Data), nil
}

// chartOf draws the 24 hours from start: each bucket in the bar of its
// hour, a pending delivery as retrying (both wait for an attempt),
// canceled ones not at all, buckets outside the window left out.
func chartOf(start time.Time, buckets []statsBucket) chart {
	var counts [24]map[string]int
	for i := range counts {
		counts[i] = map[string]int{}
	}
	total := map[string]int{}
	for _, b := range buckets {
		i := int(b.Start.Sub(start) / time.Hour)
		if b.Start.Before(start) || i > 23 {
			continue
		}
		for status, n := range map[string]int{
			store.DeliverySucceeded: b.Succeeded, store.DeliveryRetrying: b.Retrying + b.Pending, store.DeliveryDeadLettered: b.DeadLettered,
		} {
			if n > 0 {
				counts[i][status] += n
				total[status] += n
			}
		}
	}
	return drawChart(start, counts, total)
}

func drawChart(start time.Time, counts [24]map[string]int, total map[string]int) chart {
	ch := chart{Total: total, Width: chartWidth, Height: chartHeight}
	for _, m := range counts {
		sum := 0
		for _, s := range chartSeries {
			sum += m[s.status]
		}
		ch.Max = max(ch.Max, sum)
	}
	for i, m := range counts {
		hour := start.Add(time.Duration(i) * time.Hour)
		b := bar{X: i * chartWidth / 24, Label: hour.Format("15:04") + "Z"}
		y := chartBase
		for _, s := range chartSeries {
			n := m[s.status]
			if n == 0 || ch.Max == 0 {
				continue
			}
			h := max(1, n*chartPlot/ch.Max)
			y -= h
			b.Segs = append(b.Segs, seg{Y: y, H: h, Status: s.status, Fill: s.fill, Count: n})
		}
		ch.Bars = append(ch.Bars, b)
		if i%6 == 0 {
			ch.Ticks = append(ch.Ticks, tick{X: b.X, Label: b.Label})
		}
	}
	return ch
}

// Summary is the chart's text for screen readers and the impatient.
func (ch chart) Summary() string {
	return fmt.Sprintf("Last 24 hours: %d succeeded, %d retrying or pending, %d dead-lettered.",
		ch.Total[store.DeliverySucceeded], ch.Total[store.DeliveryRetrying], ch.Total[store.DeliveryDeadLettered])
}

// BarWidth is the width of one bar.
func (ch chart) BarWidth() int { return chartBarWidth - 4 }

// Base and LabelY place the axis and the hours under it.
func (ch chart) Base() int   { return chartBase }
func (ch chart) LabelY() int { return chartLabelY }
