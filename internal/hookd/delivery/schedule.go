package delivery

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// MaxAttempts and Budget bound every delivery: 12 attempts within 72 hours.
const (
	MaxAttempts = 12
	Budget      = 72 * time.Hour
)

// backoff[i] is the wait after the (i+1)th failed attempt: attempt 1 is
// immediate, attempt 2 five seconds after it, ..., attempt 12 a day after
// attempt 11.
var backoff = [MaxAttempts - 1]time.Duration{
	5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour,
	2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 18 * time.Hour, 24 * time.Hour,
}

// Jitter returns a factor in [-1, 1); the engine scales it to ±10 %.
type Jitter func() float64

func defaultJitter() float64 { return rand.Float64()*2 - 1 }

// Schedule decides when a failed delivery is tried again.
type Schedule struct {
	Jitter Jitter
}

// Next returns when to make the next attempt after attempt number
// attempts failed at now, or ok=false when the delivery is out of budget.
// retryAfter (0 when absent) is the receiver's Retry-After, honoured when
// it asks for more time than the schedule would give, within the deadline.
func (s Schedule) Next(attempts int, now, deadline time.Time, retryAfter time.Duration) (time.Time, bool) {
	if attempts >= MaxAttempts || !now.Before(deadline) {
		return time.Time{}, false
	}
	base := backoff[attempts-1]
	jitter := s.Jitter
	if jitter == nil {
		jitter = defaultJitter
	}
	wait := base + time.Duration(float64(base)*0.1*jitter())
	if retryAfter > wait {
		wait = retryAfter
	}
	next := now.Add(wait)
	if next.After(deadline) {
		// One last try at the deadline rather than none at all.
		next = deadline
	}
	return next, true
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
