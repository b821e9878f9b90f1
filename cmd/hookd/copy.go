package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hookd/terraform-provider-hookd/internal/hookd/server"
	"github.com/hookd/terraform-provider-hookd/internal/hookd/store"
)

// copyCmd copies a database into a new, empty one: the move from SQLite
// to PostgreSQL of an operator who outgrows one machine, with the same
// webhooks, secrets, API keys and delivery history, so that no receiver
// sees a new secret and no Terraform state a new id.
func copyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hookd copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: hookd copy --from <db> --to <db>

Copies every group, webhook (secrets included), API key, event, delivery
and attempt, and the stored answers of idempotent calls, from one hookd
database into a new, empty one, in one transaction: a SQLite file or a
postgres:// URL on either side. Stop hookd on --from first (on SQLite,
copy refuses while it runs). Deliveries that were due are attempted by
the hookd that serves --to.

The encryption key is HOOKD_ENCRYPTION_KEY, or the key file of a SQLite
--from (<db>.key); the copy is opened with the same key, so give it to
every hookd process on --to. Without HOOKD_ENCRYPTION_KEY, a SQLite --to
gets a copy of the key file beside it (<to>.key); with it, serve the
copy with the same HOOKD_ENCRYPTION_KEY.

flags:
`)
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "the database to copy: a SQLite file or a postgres:// URL")
	to := fs.String("to", "", "the new, empty database to copy into: a SQLite file (created) or a postgres:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	start := time.Now()
	res, err := server.Copy(ctx, server.CopyConfig{
		From: *from, To: *to, EncryptionKey: os.Getenv("HOOKD_ENCRYPTION_KEY"),
		Progress: func(t store.CopiedTable) {
			fmt.Fprintf(stdout, "hookd: copied %-21s %9d rows in %v\n", t.Name, t.Rows, t.Duration.Round(time.Millisecond))
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hookd: copied %s to %s in %v\n", store.RedactURL(*from), store.RedactURL(*to), time.Since(start).Round(time.Millisecond))
	switch {
	case res.ToKeyFile != "":
		fmt.Fprintf(stdout, "hookd: its key is in %s; start hookd serve --db %s\n", res.ToKeyFile, *to)
	case res.KeyFile != "":
		fmt.Fprintf(stdout, "hookd: give every hookd process on %s the key in %s as HOOKD_ENCRYPTION_KEY\n", store.RedactURL(*to), res.KeyFile)
	default:
		fmt.Fprintf(stdout, "hookd: give every hookd process on %s the same HOOKD_ENCRYPTION_KEY\n", store.RedactURL(*to))
	}
	return nil
}
