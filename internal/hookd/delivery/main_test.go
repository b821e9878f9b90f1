package delivery_test

import (
	"os"
	"testing"

	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
)

// The tests run on SQLite, and on PostgreSQL with HOOKD_TEST_DB=postgres
// (hookdtest); the test PostgreSQL server, when one was started, is stopped
// at the end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
