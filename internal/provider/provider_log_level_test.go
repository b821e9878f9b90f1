package provider

import "testing"

// The client's exchange logs are DEBUG records: built only when the
// provider's level, read as tf6server reads it, keeps them.
func TestDebugLogsOn(t *testing.T) {
	for value, want := range map[string]bool{
		"": true, "trace": true, "DEBUG": true, "not-a-level": true,
		"off": false, "OFF": false, "info": false, "warn": false, "error": false,
	} {
		if got := debugLogsOn(func(k string) string {
			if k == LogLevelEnv {
				return value
			}
			return ""
		}); got != want {
			t.Errorf("%s=%q: debug logs on %v, want %v", LogLevelEnv, value, got, want)
		}
	}
}
