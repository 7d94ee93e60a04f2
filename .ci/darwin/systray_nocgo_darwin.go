//go:build darwin && !cgo

// This file is not part of tokentray's build. make vet-darwin copies
// fyne.io/systray from the module cache into a temporary directory, adds
// this file to it, and points a temporary go.mod there with a replace
// (go build -modfile): fyne.io/systray's macOS backend is cgo and
// Objective-C, which a Linux machine cannot build, and without these
// functions the tray and cmd/tokentray packages do not type-check for
// darwin. They only have to exist with the right signatures; nothing
// built with them is ever run.

package systray

import "errors"

var errNoCgo = errors.New("systray: the macOS backend needs cgo")

func SetTemplateIcon(templateIconBytes []byte, regularIconBytes []byte)                  {}
func (item *MenuItem) SetIcon(iconBytes []byte)                                          {}
func (item *MenuItem) SetIconFromFilePath(iconFilePath string) error                     { return errNoCgo }
func (item *MenuItem) SetTemplateIcon(templateIconBytes []byte, regularIconBytes []byte) {}
func SetRemovalAllowed(allowed bool)                                                     {}
func registerSystray()                                                                   {}
func nativeLoop()                                                                        {}
func nativeEnd()                                                                         {}
func nativeStart()                                                                       {}
func quit()                                                                              {}
func setInternalLoop(internal bool)                                                      {}
func SetIcon(iconBytes []byte)                                                           {}
func SetIconFromFilePath(iconFilePath string) error                                      { return errNoCgo }
func SetTitle(title string)                                                              {}
func SetTooltip(tooltip string)                                                          {}
func addOrUpdateMenuItem(item *MenuItem)                                                 {}
func addSeparator(id uint32, parent uint32)                                              {}
func hideMenuItem(item *MenuItem)                                                        {}
func showMenuItem(item *MenuItem)                                                        {}
func removeMenuItem(item *MenuItem)                                                      {}
func resetMenu()                                                                         {}
