// Command pgacc runs the provider's acceptance tests against a hookd on
// PostgreSQL (the last step of make test-postgres): it starts a PostgreSQL server
// (package pgtest, from Debian's postgresql package), builds hookd and
// runs it with --db postgres://..., then runs `go test` of the provider
// with HOOKD_ENDPOINT and HOOKD_API_KEY pointing at it, and stops both by
// PID. Tests that configure hookd themselves (an injected clock, their own
// catalog) skip against an external server, as they say; the rest run.
//
// Tests that need a Terraform feature skip on a CLI without it, unless
// HOOKD_ACC_REQUIRE_FEATURES names it (acctest.EnvRequireFeatures): then
// they fail. pgacc passes -require-features (default: that variable) to
// the tests and says what it required, so that a run against PostgreSQL
// cannot pass on skipped feature tests unnoticed: make test-postgres
// requires them all of the newest Terraform, as test-sqlite does.
//
//	pgacc [-go GO] [-pkgs PACKAGES] [-require-features KEYS] [-- go test flags, e.g. -run REGEXP]
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/hookd/terraform-provider-hookd/internal/acctest"
	"github.com/hookd/terraform-provider-hookd/internal/pgtest"
	"github.com/hookd/terraform-provider-hookd/scripts/internal/hookdproc"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pgacc: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	goCmd := flag.String("go", "go", "the go command")
	pkgs := flag.String("pkgs", "./internal/provider/...", "packages to test")
	requireFeatures := flag.String("require-features", os.Getenv(acctest.EnvRequireFeatures),
		"Terraform features whose tests must not skip ("+acctest.EnvRequireFeatures+": a list of feature keys, all, or empty for none)")
	flag.Parse()
	if _, err := acctest.RequiredFeatures(*requireFeatures); err != nil {
		return fmt.Errorf("-require-features: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	src, err := os.Getwd()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "pgacc-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	pg, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNoBinaries) && os.Getenv(pgtest.EnvRequire) != "1" {
		fmt.Fprintf(os.Stderr, "pgacc: skipped, no PostgreSQL here: %v\n", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer func() {
		if err := pg.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgacc: stop PostgreSQL: %v\n", err)
		}
	}()
	if err := pg.CreateDatabase(ctx, "hookd"); err != nil {
		return err
	}

	bin := filepath.Join(dir, "hookd")
	if err := hookdproc.GoBuild(ctx, *goCmd, src, "./cmd/hookd", bin); err != nil {
		return err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	h := &hookdproc.Hookd{
		Bin: bin, Dir: dir, APIKey: hookdproc.NewAPIKey("hookd_pgacc-"),
		DB: pg.DSN("hookd"), Env: []string{"HOOKD_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(key)},
	}
	if err := h.Start(ctx); err != nil {
		return fmt.Errorf("start hookd on PostgreSQL: %w", err)
	}
	defer h.Stop()
	fmt.Printf("== provider acceptance tests against hookd (pid %d) on PostgreSQL (pid %d) at http://%s\n", h.PID(), pg.PID(), h.Addr)
	if *requireFeatures == "" {
		fmt.Printf("== no Terraform feature required (%s is empty): tests of a feature the CLI lacks skip\n", acctest.EnvRequireFeatures)
	} else {
		fmt.Printf("== Terraform features required (a test of one of them fails rather than skips): %s\n", *requireFeatures)
	}

	args := append([]string{"test", "-count=1", "-timeout", "30m"}, flag.Args()...)
	cmd := exec.CommandContext(ctx, *goCmd, append(args, *pkgs)...)
	cmd.Dir = src
	cmd.Env = append(hookdproc.WithoutVars(os.Environ(), "HOOKD_ENDPOINT", "HOOKD_API_KEY", pgtest.EnvTestDB, acctest.EnvRequireFeatures),
		"TF_ACC=1", "HOOKD_ENDPOINT=http://"+h.Addr, "HOOKD_API_KEY="+h.APIKey, acctest.EnvRequireFeatures+"="+*requireFeatures)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("provider acceptance tests against hookd on PostgreSQL: %w (hookd's log: %s)", err, filepath.Join(dir, "hookd-1.log"))
	}
	return nil
}
