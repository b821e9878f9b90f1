package client

import (
	"context"
	"strings"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/rules"
)

// Logger receives one structured entry per HTTP exchange and per retry
// decision. The provider bridges it to tflog. Entries never hold
// credentials: see redact.
type Logger interface {
	Log(ctx context.Context, msg string, entry LogEntry)
}

// LoggerFunc adapts a function to Logger.
type LoggerFunc func(ctx context.Context, msg string, entry LogEntry)

func (f LoggerFunc) Log(ctx context.Context, msg string, entry LogEntry) { f(ctx, msg, entry) }

// LogEntry describes one HTTP exchange, or the decision to retry one. Zero
// values mean "not known" (no response, no wait).
type LogEntry struct {
	Method string
	// Path is the request path without the query; it never holds secrets.
	Path string
	// Attempt counts from 1; retries of one logical call share its
	// Idempotency-Key.
	Attempt int
	// Status is the HTTP status of the response, 0 when none came.
	Status int
	// Duration of the exchange, 0 for a retry decision.
	Duration time.Duration
	// RequestID is the server's X-Request-Id, for support and server logs.
	RequestID string
	// Wait is the pause before the next attempt, set on retry decisions.
	Wait time.Duration
	// Error is the failure, with credentials redacted; "" on success.
	Error string
}

type nopLogger struct{}

func (nopLogger) Log(context.Context, string, LogEntry) {}

// redact removes known secret values and anything shaped like one.
func redact(s string, known ...string) string {
	for _, k := range known {
		if len(k) >= 4 {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	return rules.RedactSecrets(s)
}
