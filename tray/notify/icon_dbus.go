//go:build (linux || freebsd || openbsd || netbsd) && !android

package notify

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/tokentray/tokentray/assets"
)

// imageData is the (iiibiiay) "image-data" hint of the Desktop
// Notifications Specification: straight (non-premultiplied) RGBA rows.
type imageData struct {
	Width, Height, RowStride int32
	HasAlpha                 bool
	BitsPerSample, Channels  int32
	Data                     []byte
}

// iconHint is a notification hint.
type iconHint struct {
	ID      string
	Variant dbus.Variant
}

// appIconHint returns the application icon as an "image-data" hint, or a
// zero hint if it cannot be decoded.
var appIconHint = sync.OnceValue(func() iconHint {
	src, err := png.Decode(bytes.NewReader(assets.AppIconPNG()))
	if err != nil {
		return iconHint{}
	}
	b := src.Bounds()
	img := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(img, img.Rect, src, b.Min, draw.Src)
	return iconHint{ID: "image-data", Variant: dbus.MakeVariant(imageData{
		Width: int32(b.Dx()), Height: int32(b.Dy()), RowStride: int32(img.Stride),
		HasAlpha: true, BitsPerSample: 8, Channels: 4, Data: img.Pix,
	})}
})
