// Command gen draws the tray icons of package assets with image/draw-level
// code (no external tools) and writes them to a directory:
//
//	<name>.png           64x64 colour icon (Linux and other D-Bus trays)
//	<name>-template.png  32x32 black + alpha template icon (macOS menu bar)
//	<name>.ico           16, 32 and 48 px 32-bit BMP frames (Windows)
//	app.png              128x128 application icon (notifications)
//
// Run it through `go generate ./assets`. Icons are vector shapes in a unit
// square, rasterised per size with supersampling, so each size is drawn
// sharp rather than scaled down. Every state differs by shape as well as
// by colour, for colour-blind users and for monochrome template icons.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

// Sizes of the generated images.
const (
	pngSize      = 64
	templateSize = 32
	appSize      = 128
)

// icoSizes are the frames of each .ico file.
var icoSizes = []int{16, 32, 48}

// names lists the icons, in the order of assets.Names.
var names = []string{"ok", "refreshing", "warning", "signin", "none"}

func main() {
	out := flag.String("out", "icons", "output directory")
	flag.Parse()
	files, err := render()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// render returns every output file by name.
func render() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range names {
		ic := icons[name]
		var err error
		if files[name+".png"], err = encodePNG(ic.draw(pngSize, false)); err != nil {
			return nil, err
		}
		if files[name+"-template.png"], err = encodePNG(ic.draw(templateSize, true)); err != nil {
			return nil, err
		}
		var frames []*image.NRGBA
		for _, s := range icoSizes {
			frames = append(frames, ic.draw(s, false))
		}
		files[name+".ico"] = encodeICO(frames)
	}
	var err error
	files["app.png"], err = encodePNG(appIcon.draw(appSize, false))
	return files, err
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ---- shapes ------------------------------------------------------------

// shape reports whether the point (x, y) of the unit square (y down) is
// inside.
type shape func(x, y float64) bool

type pt struct{ x, y float64 }

func disk(c pt, r float64) shape {
	return func(x, y float64) bool { return math.Hypot(x-c.x, y-c.y) <= r }
}

func ring(c pt, r0, r1 float64) shape {
	return func(x, y float64) bool {
		d := math.Hypot(x-c.x, y-c.y)
		return d >= r0 && d <= r1
	}
}

// angle returns the clockwise angle of p around c in degrees [0, 360),
// 0 pointing right (y grows downwards, so this is the screen's clockwise).
func angle(c pt, x, y float64) float64 {
	a := math.Atan2(y-c.y, x-c.x) * 180 / math.Pi
	if a < 0 {
		a += 360
	}
	return a
}

// arc is the part of ring(c, r0, r1) between angles from and to (degrees,
// clockwise, from < to).
func arc(c pt, r0, r1, from, to float64) shape {
	in := ring(c, r0, r1)
	return func(x, y float64) bool {
		if !in(x, y) {
			return false
		}
		a := angle(c, x, y)
		return (a >= from && a <= to) || (a+360 >= from && a+360 <= to)
	}
}

// dashedRing is ring(c, r0, r1) cut into n dashes filling ratio of each
// period.
func dashedRing(c pt, r0, r1 float64, n int, ratio float64) shape {
	in := ring(c, r0, r1)
	period := 360 / float64(n)
	return func(x, y float64) bool {
		if !in(x, y) {
			return false
		}
		// Offset by half a gap so the dashes sit symmetrically.
		a := math.Mod(angle(c, x, y)+period*(1-ratio)/2+90, period)
		return a >= period*(1-ratio)
	}
}

// segDist is the distance from (x, y) to the segment a-b.
func segDist(a, b pt, x, y float64) float64 {
	dx, dy := b.x-a.x, b.y-a.y
	t := ((x-a.x)*dx + (y-a.y)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-(a.x+t*dx), y-(a.y+t*dy))
}

// stroke is a polyline of width w with round caps and joins.
func stroke(w float64, pts ...pt) shape {
	return func(x, y float64) bool {
		for i := 0; i+1 < len(pts); i++ {
			if segDist(pts[i], pts[i+1], x, y) <= w/2 {
				return true
			}
		}
		return false
	}
}

// polygon is the convex polygon pts (any winding) grown by radius r,
// i.e. with rounded corners.
func polygon(r float64, pts ...pt) shape {
	return func(x, y float64) bool {
		inside := true
		sign := 0.0
		for i := range pts {
			a, b := pts[i], pts[(i+1)%len(pts)]
			cross := (b.x-a.x)*(y-a.y) - (b.y-a.y)*(x-a.x)
			if sign == 0 {
				sign = math.Copysign(1, cross)
			}
			if cross*sign < 0 {
				inside = false
			}
			if segDist(a, b, x, y) <= r {
				return true
			}
		}
		return inside
	}
}

func roundRect(x0, y0, x1, y1, r float64) shape {
	return polygon(r, pt{x0 + r, y0 + r}, pt{x1 - r, y0 + r}, pt{x1 - r, y1 - r}, pt{x0 + r, y1 - r})
}

func union(s ...shape) shape {
	return func(x, y float64) bool {
		for _, f := range s {
			if f(x, y) {
				return true
			}
		}
		return false
	}
}

// ---- icons ---------------------------------------------------------------

// layer paints shape in colour.
type layer struct {
	shape shape
	color color.NRGBA
	// glyph marks a symbol drawn on top of a filled body: in template
	// icons it is cut out of the body instead of painted.
	glyph bool
}

type icon []layer

var (
	green = color.NRGBA{0x2E, 0x9E, 0x44, 0xFF}
	blue  = color.NRGBA{0x2F, 0x7D, 0xE1, 0xFF}
	amber = color.NRGBA{0xF2, 0xA9, 0x00, 0xFF}
	red   = color.NRGBA{0xD6, 0x33, 0x33, 0xFF}
	grey  = color.NRGBA{0x8C, 0x8C, 0x8C, 0xFF}
	white = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	ink   = color.NRGBA{0x1E, 0x1E, 0x1E, 0xFF}
)

var center = pt{0.5, 0.5}

// key is a horizontal key: ring head on the left, shaft and two teeth.
func key(dx, dy, scale float64) shape {
	p := func(x, y float64) pt { return pt{dx + 0.5 + (x-0.5)*scale, dy + 0.5 + (y-0.5)*scale} }
	head := p(0.30, 0.5)
	return union(
		ring(head, 0.075*scale, 0.2*scale),
		stroke(0.13*scale, p(0.44, 0.5), p(0.84, 0.5)),
		stroke(0.12*scale, p(0.77, 0.5), p(0.77, 0.67)),
		stroke(0.12*scale, p(0.62, 0.5), p(0.62, 0.64)),
	)
}

// arrowArc is a clockwise arc ending in an arrow head.
func arrowArc(from, to float64) shape {
	const r, w = 0.33, 0.14
	end := to * math.Pi / 180
	tip := pt{center.x + r*math.Cos(end), center.y + r*math.Sin(end)}
	// Direction of travel (clockwise tangent) and outward normal.
	tx, ty := -math.Sin(end), math.Cos(end)
	nx, ny := math.Cos(end), math.Sin(end)
	const hl, hw = 0.2, 0.19 // head length and half width
	return union(
		arc(center, r-w/2, r+w/2, from, to),
		polygon(0.01,
			pt{tip.x + tx*hl, tip.y + ty*hl},
			pt{tip.x + nx*hw, tip.y + ny*hw},
			pt{tip.x - nx*hw, tip.y - ny*hw},
		),
	)
}

var icons = map[string]icon{
	// ok: filled circle with a check mark.
	"ok": {
		{shape: disk(center, 0.47), color: green},
		{shape: stroke(0.14, pt{0.27, 0.52}, pt{0.43, 0.68}, pt{0.74, 0.34}), color: white, glyph: true},
	},
	// refreshing: two circular arrows chasing each other.
	"refreshing": {
		{shape: union(arrowArc(200, 320), arrowArc(20, 140)), color: blue},
	},
	// warning: rounded triangle with an exclamation mark.
	"warning": {
		{shape: polygon(0.07, pt{0.5, 0.1}, pt{0.9, 0.83}, pt{0.1, 0.83}), color: amber},
		{shape: union(stroke(0.13, pt{0.5, 0.38}, pt{0.5, 0.6}), disk(pt{0.5, 0.77}, 0.07)), color: ink, glyph: true},
	},
	// signin: rounded square with a key.
	"signin": {
		{shape: roundRect(0.04, 0.04, 0.96, 0.96, 0.16), color: red},
		{shape: key(0, 0, 1), color: white, glyph: true},
	},
	// none: hollow dashed circle.
	"none": {
		{shape: dashedRing(center, 0.33, 0.45, 8, 0.6), color: grey},
	},
}

// appIcon: a blue rounded square with a white key.
var appIcon = icon{
	{shape: roundRect(0.03, 0.03, 0.97, 0.97, 0.2), color: blue},
	{shape: key(0, 0, 1.05), color: white, glyph: true},
}

// draw rasterises ic at size x size pixels. template draws every layer in
// black and cuts glyphs out of the layers below instead of painting them.
func (ic icon) draw(size int, template bool) *image.NRGBA {
	// Supersampling grid per pixel: finer for small sizes.
	n := 16
	if size >= 48 {
		n = 8
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := range size {
		for px := range size {
			// Premultiplied accumulator.
			var r, g, b, a float64
			for _, l := range ic {
				hits := 0
				for sy := range n {
					for sx := range n {
						x := (float64(px) + (float64(sx)+0.5)/float64(n)) / float64(size)
						y := (float64(py) + (float64(sy)+0.5)/float64(n)) / float64(size)
						if l.shape(x, y) {
							hits++
						}
					}
				}
				cov := float64(hits) / float64(n*n)
				if cov == 0 {
					continue
				}
				if template && l.glyph {
					// Destination-out.
					r, g, b, a = r*(1-cov), g*(1-cov), b*(1-cov), a*(1-cov)
					continue
				}
				c := l.color
				if template {
					c = color.NRGBA{0, 0, 0, 0xFF}
				}
				ca := cov * float64(c.A) / 255
				r = float64(c.R)/255*ca + r*(1-ca)
				g = float64(c.G)/255*ca + g*(1-ca)
				b = float64(c.B)/255*ca + b*(1-ca)
				a = ca + a*(1-ca)
			}
			if a <= 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: to8(r / a), G: to8(g / a), B: to8(b / a), A: to8(a),
			})
		}
	}
	return img
}

func to8(v float64) uint8 {
	return uint8(math.Round(math.Max(0, math.Min(1, v)) * 255))
}

// ---- ICO -----------------------------------------------------------------

// encodeICO writes an ICO file (ICONDIR, one ICONDIRENTRY per frame, then
// each frame as a DIB: BITMAPINFOHEADER with doubled height, 32-bit BGRA
// rows bottom-up with straight alpha, then the 1-bit AND mask). BMP frames
// rather than PNG ones load everywhere, including LoadImage on old systems.
func encodeICO(frames []*image.NRGBA) []byte {
	var dir, data bytes.Buffer
	le16 := func(b *bytes.Buffer, v int) { b.Write([]byte{byte(v), byte(v >> 8)}) }
	le32 := func(b *bytes.Buffer, v int) { b.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}) }

	le16(&dir, 0)           // reserved
	le16(&dir, 1)           // type: icon
	le16(&dir, len(frames)) // count
	offset := 6 + 16*len(frames)
	for _, img := range frames {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		if w > 256 || h > 256 {
			panic(fmt.Sprintf("ico frame %dx%d too large", w, h))
		}
		maskStride := (w + 31) / 32 * 4
		var dib bytes.Buffer
		le32(&dib, 40)  // biSize
		le32(&dib, w)   // biWidth
		le32(&dib, 2*h) // biHeight: XOR bitmap + AND mask
		le16(&dib, 1)   // biPlanes
		le16(&dib, 32)  // biBitCount
		le32(&dib, 0)   // biCompression: BI_RGB
		le32(&dib, (w*4+maskStride)*h)
		le32(&dib, 0) // biXPelsPerMeter
		le32(&dib, 0) // biYPelsPerMeter
		le32(&dib, 0) // biClrUsed
		le32(&dib, 0) // biClrImportant
		for y := h - 1; y >= 0; y-- {
			for x := range w {
				c := img.NRGBAAt(img.Rect.Min.X+x, img.Rect.Min.Y+y)
				dib.Write([]byte{c.B, c.G, c.R, c.A})
			}
		}
		for y := h - 1; y >= 0; y-- {
			row := make([]byte, maskStride)
			for x := range w {
				if img.NRGBAAt(img.Rect.Min.X+x, img.Rect.Min.Y+y).A == 0 {
					row[x/8] |= 0x80 >> (x % 8)
				}
			}
			dib.Write(row)
		}

		dir.WriteByte(byte(w % 256)) // 0 means 256
		dir.WriteByte(byte(h % 256))
		dir.WriteByte(0) // colour count
		dir.WriteByte(0) // reserved
		le16(&dir, 1)    // planes
		le16(&dir, 32)   // bits per pixel
		le32(&dir, dib.Len())
		le32(&dir, offset)
		offset += dib.Len()
		data.Write(dib.Bytes())
	}
	return append(dir.Bytes(), data.Bytes()...)
}
