// Command zipls lists the entries of a zip archive, one per line, as
// "<mode> <name>" (mode as Go prints an fs.FileMode, e.g. -rwxr-xr-x), so
// that scripts/release-check.sh needs no unzip:
//
//	go run ./scripts/zipls dist/terraform-provider-hookd_1.2.3_linux_amd64.zip
package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: zipls FILE.zip")
		os.Exit(2)
	}
	if err := list(os.Stdout, os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "zipls: %v\n", err)
		os.Exit(1)
	}
}

// list writes one "<mode> <name>" line per entry of the zip file at path,
// in the order of the archive's central directory.
func list(w io.Writer, path string) error {
	r, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, f := range r.File {
		if _, err := fmt.Fprintf(w, "%s %s\n", f.Mode(), f.Name); err != nil {
			return err
		}
	}
	return nil
}
