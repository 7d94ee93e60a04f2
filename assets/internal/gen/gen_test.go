package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestCommittedIconsUpToDate renders every icon and compares it with the
// files committed in assets/icons: run `go generate ./assets` after
// changing the drawing code. PNGs are compared pixel by pixel (the
// encoder's bytes may change between Go releases), ICOs byte by byte.
func TestCommittedIconsUpToDate(t *testing.T) {
	files, err := render()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "icons")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var committed, generated []string
	for _, e := range entries {
		committed = append(committed, e.Name())
	}
	for name := range files {
		generated = append(generated, name)
	}
	sort.Strings(generated)
	if !equalStrings(committed, generated) {
		t.Fatalf("icons/ holds %q, generator makes %q", committed, generated)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(name) == ".ico" {
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run go generate ./assets", name)
			}
			continue
		}
		if !samePixels(t, got, want) {
			t.Errorf("%s is stale: run go generate ./assets", name)
		}
	}
}

func samePixels(t *testing.T, a, b []byte) bool {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ia.Bounds() != ib.Bounds() {
		return false
	}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !sameColor(ia, ib, x, y) {
				return false
			}
		}
	}
	return true
}

func sameColor(a, b image.Image, x, y int) bool {
	r1, g1, b1, a1 := a.At(x, y).RGBA()
	r2, g2, b2, a2 := b.At(x, y).RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestICOEncoding checks the container against a hand-made 1x1 frame.
func TestICOEncoding(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.Pix = []byte{10, 20, 30, 40}
	got := encodeICO([]*image.NRGBA{img})
	want := []byte{
		0, 0, 1, 0, 1, 0, // ICONDIR: reserved, type 1, 1 image
		1, 1, 0, 0, 1, 0, 32, 0, 48, 0, 0, 0, 22, 0, 0, 0, // entry: 1x1, 32 bpp, 48 bytes at 22
		40, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 32, 0, 0, 0, 0, 0, 8, 0, 0, 0, // BITMAPINFOHEADER
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		30, 20, 10, 40, // BGRA
		0, 0, 0, 0, // AND mask row (opaque), padded to 32 bits
	}
	if !bytes.Equal(got, want) {
		t.Errorf("encodeICO =\n% x\nwant\n% x", got, want)
	}
}
