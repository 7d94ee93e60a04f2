package assets

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"runtime"
	"testing"
)

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// icoFrame is one decoded frame of an ICO file.
type icoFrame struct {
	w, h int
	bgra []byte // top-down rows
	mask []bool // AND mask: true = transparent
}

// parseICO checks the ICONDIR/ICONDIRENTRY/BITMAPINFOHEADER structure and
// decodes 32-bit BMP frames.
func parseICO(t *testing.T, b []byte) []icoFrame {
	t.Helper()
	le16 := func(o int) int { return int(binary.LittleEndian.Uint16(b[o:])) }
	le32 := func(o int) int { return int(int32(binary.LittleEndian.Uint32(b[o:]))) }
	if len(b) < 6 || le16(0) != 0 || le16(2) != 1 {
		t.Fatalf("bad ICONDIR % x", b[:min(6, len(b))])
	}
	n := le16(4)
	if len(b) < 6+16*n {
		t.Fatalf("truncated directory: %d entries, %d bytes", n, len(b))
	}
	var frames []icoFrame
	for i := range n {
		e := 6 + 16*i
		w, h := int(b[e]), int(b[e+1])
		if w == 0 {
			w = 256
		}
		if h == 0 {
			h = 256
		}
		if le16(e+4) != 1 || le16(e+6) != 32 {
			t.Fatalf("entry %d: planes %d bpp %d", i, le16(e+4), le16(e+6))
		}
		size, off := le32(e+8), le32(e+12)
		if off < 6+16*n || off+size > len(b) {
			t.Fatalf("entry %d: data [%d,+%d) outside file of %d", i, off, size, len(b))
		}
		d := b[off : off+size]
		if bytes.HasPrefix(d, []byte("\x89PNG")) {
			t.Fatalf("entry %d is a PNG frame; expected BMP", i)
		}
		get32 := func(o int) int { return int(int32(binary.LittleEndian.Uint32(d[o:]))) }
		get16 := func(o int) int { return int(binary.LittleEndian.Uint16(d[o:])) }
		if get32(0) != 40 || get32(4) != w || get32(8) != 2*h || get16(12) != 1 || get16(14) != 32 || get32(16) != 0 {
			t.Fatalf("entry %d: bad BITMAPINFOHEADER % x", i, d[:40])
		}
		stride := (w + 31) / 32 * 4
		if size != 40+w*h*4+stride*h {
			t.Fatalf("entry %d: size %d, want %d", i, size, 40+w*h*4+stride*h)
		}
		f := icoFrame{w: w, h: h, bgra: make([]byte, 0, w*h*4), mask: make([]bool, 0, w*h)}
		px := d[40:]
		for y := h - 1; y >= 0; y-- {
			f.bgra = append(f.bgra, px[y*w*4:(y+1)*w*4]...)
		}
		m := d[40+w*h*4:]
		for y := h - 1; y >= 0; y-- {
			for x := range w {
				f.mask = append(f.mask, m[y*stride+x/8]&(0x80>>(x%8)) != 0)
			}
		}
		frames = append(frames, f)
	}
	return frames
}

func TestIconsDecode(t *testing.T) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			img := decodePNG(t, PNG(name))
			if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
				t.Errorf("PNG is %v, want 64x64", b)
			}
			opaque := 0
			for y := range 64 {
				for x := range 64 {
					if _, _, _, a := img.At(x, y).RGBA(); a > 0x8000 {
						opaque++
					}
				}
			}
			if opaque < 64*64/10 || opaque == 64*64 {
				t.Errorf("PNG has %d opaque pixels of %d: not an icon on a transparent background", opaque, 64*64)
			}

			tpl := decodePNG(t, TemplatePNG(name))
			if b := tpl.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
				t.Errorf("template is %v, want 32x32", b)
			}
			visible := 0
			for y := range 32 {
				for x := range 32 {
					r, g, b, a := tpl.At(x, y).RGBA()
					if r != 0 || g != 0 || b != 0 {
						t.Fatalf("template pixel (%d,%d) is not black: %v", x, y, tpl.At(x, y))
					}
					if a > 0 {
						visible++
					}
				}
			}
			if visible == 0 {
				t.Error("template is empty")
			}

			frames := parseICO(t, ICO(name))
			if len(frames) != 3 {
				t.Fatalf("%d ICO frames, want 3", len(frames))
			}
			for i, want := range []int{16, 32, 48} {
				f := frames[i]
				if f.w != want || f.h != want {
					t.Errorf("frame %d is %dx%d, want %d", i, f.w, f.h, want)
				}
				seen := false
				for p := range f.w * f.h {
					a := f.bgra[p*4+3]
					if f.mask[p] != (a == 0) {
						t.Fatalf("frame %d pixel %d: AND mask %v for alpha %d", i, p, f.mask[p], a)
					}
					seen = seen || a == 255
				}
				if !seen {
					t.Errorf("frame %d has no opaque pixel", i)
				}
			}
		})
	}
}

// alphaMask returns which pixels of a template icon are mostly opaque.
func alphaMask(t *testing.T, name string) []bool {
	img := decodePNG(t, TemplatePNG(name))
	var m []bool
	for y := range 32 {
		for x := range 32 {
			_, _, _, a := img.At(x, y).RGBA()
			m = append(m, a > 0x8000)
		}
	}
	return m
}

// TestIconsDistinct checks that the icons differ by shape (the monochrome
// template masks differ on a good share of pixels) and by colour.
func TestIconsDistinct(t *testing.T) {
	avg := map[string][3]float64{}
	for _, name := range Names {
		img := decodePNG(t, PNG(name))
		var sum [3]float64
		n := 0.0
		for y := range 64 {
			for x := range 64 {
				r, g, b, a := img.At(x, y).RGBA()
				if a == 0xffff {
					sum[0] += float64(r >> 8)
					sum[1] += float64(g >> 8)
					sum[2] += float64(b >> 8)
					n++
				}
			}
		}
		avg[name] = [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
	}
	for i, a := range Names {
		for _, b := range Names[i+1:] {
			ma, mb := alphaMask(t, a), alphaMask(t, b)
			diff := 0
			for p := range ma {
				if ma[p] != mb[p] {
					diff++
				}
			}
			if diff < len(ma)/10 {
				t.Errorf("%s and %s shapes differ on only %d of %d pixels", a, b, diff, len(ma))
			}
			ca, cb := avg[a], avg[b]
			dist := 0.0
			for k := range 3 {
				dist += (ca[k] - cb[k]) * (ca[k] - cb[k])
			}
			if dist < 40*40 {
				t.Errorf("%s and %s colours too close: %v vs %v", a, b, ca, cb)
			}
		}
	}
}

func TestIconForOS(t *testing.T) {
	for _, name := range Names {
		var want []byte
		switch runtime.GOOS {
		case "windows":
			want = ICO(name)
		case "darwin":
			want = TemplatePNG(name)
		default:
			want = PNG(name)
		}
		if got := Icon(name); !bytes.Equal(got, want) || len(got) == 0 {
			t.Errorf("Icon(%q) is not the %s format", name, runtime.GOOS)
		}
	}
	for _, f := range []func(string) []byte{Icon, PNG, TemplatePNG, ICO} {
		if f("nope") != nil || f("../app.png") != nil || f("") != nil {
			t.Error("unknown icon name returned data")
		}
	}
	// Callers may modify what they get without affecting later calls.
	b := PNG(OK)
	b[0] = 0
	if PNG(OK)[0] != 0x89 {
		t.Error("PNG returned shared embedded bytes")
	}
}

func TestAppIcon(t *testing.T) {
	img := decodePNG(t, AppIconPNG())
	if b := img.Bounds(); b.Dx() != 128 || b.Dy() != 128 {
		t.Errorf("app icon is %v", b)
	}
	if _, _, _, a := img.At(64, 64).RGBA(); a != 0xffff {
		t.Error("app icon centre is not opaque")
	}
}
