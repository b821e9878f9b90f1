package console

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// chart is the last 24 hours of a webhook's deliveries, by hour and status,
// drawn by the template as an inline SVG of stacked bars.
type chart struct {
	Bars      []bar
	Max       int
	Total     map[string]int
	Truncated bool // more deliveries than the console reads for it
	Width     int
	Height    int
	Ticks     []tick
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
	{"succeeded", "#2f9e5b"}, {"retrying", "#e0a100"}, {"dead_lettered", "#c83a45"},
}

const (
	chartWidth, chartHeight = 720, 160
	chartBarWidth           = 30
	chartBase               = 140 // the axis; below it, the hours
	chartPlot               = 124 // the tallest bar; above it, the scale
)

// last24h counts the webhook's deliveries created in the last 24 hours, read
// through the API's list, per hour.
func (c *Console) last24h(r *http.Request, sess *session, webhookID string) (chart, error) {
	now := c.clock.Now().UTC()
	start := now.Truncate(time.Hour).Add(-23 * time.Hour)
	q := url.Values{"created_after": {start.Add(-time.Nanosecond).Format(time.RFC3339Nano)}}
	list, truncated, err := all[delivery](r.Context(), c, sess, "/v1/webhooks/"+url.PathEscape(webhookID)+"/deliveries", q)
	if err != nil {
		return chart{}, err
	}
	var counts [24]map[string]int
	for i := range counts {
		counts[i] = map[string]int{}
	}
	total := map[string]int{}
	for _, d := range list {
		i := int(d.CreatedAt.Sub(start) / time.Hour)
		if i < 0 || i > 23 {
			continue
		}
		status := d.Status
		if status == "pending" {
			status = "retrying"
		}
		counts[i][status]++
		total[status]++
	}
	return drawChart(start, counts, total, truncated), nil
}

func drawChart(start time.Time, counts [24]map[string]int, total map[string]int, truncated bool) chart {
	ch := chart{Total: total, Truncated: truncated, Width: chartWidth, Height: chartHeight}
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
		ch.Total["succeeded"], ch.Total["retrying"], ch.Total["dead_lettered"])
}

// BarWidth is the width of one bar.
func (ch chart) BarWidth() int { return chartBarWidth - 4 }
