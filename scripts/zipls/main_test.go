package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name string
	mode os.FileMode
	body string
}

// writeZip writes entries into a new zip file and returns its path.
func writeZip(t *testing.T, entries ...entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestList(t *testing.T) {
	path := writeZip(t,
		entry{"terraform-provider-hookd_v1.2.3", 0o755, "x"},
		entry{"README.md", 0o644, "x"},
	)

	var out bytes.Buffer
	if err := list(&out, path); err != nil {
		t.Fatal(err)
	}
	want := "-rwxr-xr-x terraform-provider-hookd_v1.2.3\n-rw-r--r-- README.md\n"
	if got := out.String(); got != want {
		t.Errorf("list() =\n%s\nwant\n%s", got, want)
	}
}

func TestListNotAZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.zip")
	if err := os.WriteFile(path, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := list(&bytes.Buffer{}, path); err == nil {
		t.Error("list() of a non-zip file: got no error")
	}
}

func TestCat(t *testing.T) {
	license := "Mozilla Public License Version 2.0\n==================================\n"
	path := writeZip(t,
		entry{"terraform-provider-hookd_v1.2.3", 0o755, "binary"},
		entry{"LICENSE", 0o644, license},
	)
	var out bytes.Buffer
	if err := cat(&out, path, "LICENSE"); err != nil {
		t.Fatal(err)
	}
	if out.String() != license {
		t.Errorf("cat(LICENSE) = %q, want %q", out.String(), license)
	}
	if err := cat(&bytes.Buffer{}, path, "README.md"); err == nil || !strings.Contains(err.Error(), "no entry named README.md") {
		t.Errorf("cat of a missing entry: %v, want an error naming it", err)
	}
}

// An entry whose bytes do not match the CRC-32 the archive records fails:
// the release check compares content, not only a name.
func TestCatCorrupt(t *testing.T) {
	path := writeZip(t, entry{"LICENSE", 0o644, "Mozilla Public License Version 2.0\n"})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A Stored-method copy would be simpler to corrupt; with Deflate,
	// flipping a byte of the CRC-32 in the central directory does it.
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	crc := r.File[0].CRC32
	r.Close()
	want := []byte{byte(crc), byte(crc >> 8), byte(crc >> 16), byte(crc >> 24)}
	i := bytes.LastIndex(b, want)
	if i < 0 {
		t.Fatal("no CRC-32 in the archive")
	}
	b[i] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cat(&bytes.Buffer{}, path, "LICENSE"); err == nil || !strings.Contains(err.Error(), "CRC-32") {
		t.Errorf("cat of a corrupt entry: %v, want a CRC-32 error", err)
	}
}
