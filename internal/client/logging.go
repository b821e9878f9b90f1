package client

import (
	"context"
	"regexp"
	"strings"
)

// Logger receives one structured line per HTTP exchange. The provider bridges
// it to tflog. Fields never hold credentials: see redact.
type Logger interface {
	Log(ctx context.Context, msg string, fields map[string]any)
}

// LoggerFunc adapts a function to Logger.
type LoggerFunc func(ctx context.Context, msg string, fields map[string]any)

func (f LoggerFunc) Log(ctx context.Context, msg string, fields map[string]any) { f(ctx, msg, fields) }

type nopLogger struct{}

func (nopLogger) Log(context.Context, string, map[string]any) {}

// secretLike finds signing secrets and API keys in free text (error details
// echo input now and then); they are replaced before anything is logged or
// returned.
var secretLike = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+|hookd_[A-Za-z0-9_-]{8,}`)

// redact removes known secret values and anything shaped like one.
func redact(s string, known ...string) string {
	for _, k := range known {
		if len(k) >= 4 {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	return secretLike.ReplaceAllString(s, "[redacted]")
}
