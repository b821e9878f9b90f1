package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range []struct {
		name string
		mode os.FileMode
	}{
		{"terraform-provider-hookd_v1.2.3", 0o755},
		{"README.md", 0o644},
	} {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

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
