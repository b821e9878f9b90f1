// Command zipls lists the entries of a zip archive, or prints one entry's
// content, so that scripts/release-check.sh needs no unzip:
//
//	go run ./scripts/zipls dist/terraform-provider-hookd_1.2.3_linux_amd64.zip
//	go run ./scripts/zipls dist/terraform-provider-hookd_1.2.3_linux_amd64.zip LICENSE
//
// The first form writes one "<mode> <name>" line per entry (mode as Go
// prints an fs.FileMode, e.g. -rwxr-xr-x); the second writes the bytes of
// the entry NAME, checked against the CRC-32 the archive records for it.
package main

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	var err error
	switch len(os.Args) {
	case 2:
		err = list(os.Stdout, os.Args[1])
	case 3:
		err = cat(os.Stdout, os.Args[1], os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: zipls FILE.zip [NAME]")
		os.Exit(2)
	}
	if err != nil {
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

// cat writes the content of the entry name of the zip file at path.
// archive/zip checks what it reads against the entry's CRC-32 and size,
// and fails with zip.ErrChecksum when they differ; an archive with no
// such entry, or with two, is an error.
func cat(w io.Writer, path, name string) error {
	r, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer r.Close()
	var found *zip.File
	for _, f := range r.File {
		if f.Name != name {
			continue
		}
		if found != nil {
			return fmt.Errorf("%s: two entries named %s", path, name)
		}
		found = f
	}
	if found == nil {
		return fmt.Errorf("%s: no entry named %s", path, name)
	}
	rc, err := found.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		if errors.Is(err, zip.ErrChecksum) {
			return fmt.Errorf("%s: %s does not match the CRC-32 the archive records: %w", path, name, err)
		}
		return err
	}
	return nil
}
