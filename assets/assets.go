// Package assets embeds the tray and application icons.
//
// The images are drawn by the generator in internal/gen (pure Go, no
// external tools) and committed under icons/; regenerate them with
//
//	go generate ./assets
//
// Each tray icon exists as a 64x64 colour PNG (Linux and other D-Bus
// trays), a 32x32 black + alpha template PNG (macOS menu bar, which tints
// template images itself) and an ICO with 16, 32 and 48 px frames
// (Windows, where fyne.io/systray needs ICO bytes). The states differ by
// shape as well as colour, so they stay distinct in monochrome and for
// colour-blind users.
package assets

//go:generate go run ./internal/gen -out icons

import (
	"embed"
	"runtime"
	"slices"
)

// Tray icon names, one per aggregate health of the accounts.
const (
	// OK: every account is fine (green disc with a check mark).
	OK = "ok"
	// Refreshing: a refresh is in progress (blue circular arrows).
	Refreshing = "refreshing"
	// Warning: retrying, offline, or a deadline is near (amber triangle
	// with "!").
	Warning = "warning"
	// SignIn: an account needs the user to sign in, or is broken (red
	// square with a key).
	SignIn = "signin"
	// None: no accounts configured (grey dashed circle).
	None = "none"
)

// Names lists every tray icon name.
var Names = []string{OK, Refreshing, Warning, SignIn, None}

//go:embed icons
var files embed.FS

func read(file string) []byte {
	b, err := files.ReadFile("icons/" + file)
	if err != nil {
		return nil
	}
	return b
}

func known(name string) bool { return slices.Contains(Names, name) }

// Icon returns the tray icon name in the format the tray expects on this
// OS: ICO on Windows, the template PNG on macOS (set it with
// systray.SetTemplateIcon), the colour PNG elsewhere. It returns nil for
// an unknown name. The slice is a fresh copy.
func Icon(name string) []byte {
	switch runtime.GOOS {
	case "windows":
		return ICO(name)
	case "darwin":
		return TemplatePNG(name)
	default:
		return PNG(name)
	}
}

// PNG returns the 64x64 colour PNG of the tray icon name, nil if unknown.
func PNG(name string) []byte {
	if !known(name) {
		return nil
	}
	return read(name + ".png")
}

// TemplatePNG returns the 32x32 black + alpha macOS template PNG of the
// tray icon name, nil if unknown.
func TemplatePNG(name string) []byte {
	if !known(name) {
		return nil
	}
	return read(name + "-template.png")
}

// ICO returns the Windows icon (16, 32 and 48 px frames) of the tray icon
// name, nil if unknown.
func ICO(name string) []byte {
	if !known(name) {
		return nil
	}
	return read(name + ".ico")
}

// AppIconPNG returns the 128x128 application icon, for notifications.
func AppIconPNG() []byte {
	return read("app.png")
}
