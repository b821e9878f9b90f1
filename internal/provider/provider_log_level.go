package provider

import (
	"github.com/hashicorp/go-hclog"
)

// LogLevelEnv is the variable that sets the level of the provider's own
// logs (tflog): terraform-plugin-go's tf6server reads it, named after the
// provider's type in Address (TF_LOG_PROVIDER_<TYPE>). Unset, the level is
// TRACE.
const LogLevelEnv = "TF_LOG_PROVIDER_HOOKD"

// debugLogsOn is false when the provider's log level, as tf6server reads
// it from LogLevelEnv, drops DEBUG records (off, info, warn, error): the
// client's exchange logs then cost nothing (tflogBridge). Unset or
// unreadable, the level is TRACE, and they are on.
func debugLogsOn(getenv func(string) string) bool {
	level := hclog.LevelFromString(getenv(LogLevelEnv))
	return level == hclog.NoLevel || level <= hclog.Debug
}
