package server_test

import (
	"os"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/hookdtest"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// The tests run on SQLite, and on PostgreSQL with HOOKD_TEST_DB=postgres
// (hookdtest); the test PostgreSQL server, when one was started, is stopped
// at the end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// sqliteOnly skips a test of what only SQLite has when the suite runs on
// PostgreSQL.
func sqliteOnly(t *testing.T, why string) {
	t.Helper()
	if hookdtest.Postgres() {
		t.Skip("SQLite only: " + why)
	}
}
