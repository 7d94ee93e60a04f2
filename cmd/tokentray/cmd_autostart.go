package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/tokentray/tokentray/tray/autostart"
)

// autostartID names tokentray's login registration (desktop file, launch
// agent label, Run value).
const autostartID = "io.tokentray.tokentray"

// autostartEntry is what starts at login: this executable (symlinks
// resolved) with "run", and the --config flag when one was given.
func (g *globals) autostartEntry() (autostart.Entry, error) {
	exe, err := autostart.Executable()
	if err != nil {
		return autostart.Entry{}, err
	}
	var args []string
	if g.configPath != "" {
		p, err := filepath.Abs(g.configPath)
		if err != nil {
			return autostart.Entry{}, err
		}
		args = append(args, "--config", p)
	}
	args = append(args, "run")
	return autostart.Entry{ID: autostartID, Name: "tokentray", Exec: exe, Args: args}, nil
}

func cmdAutostart(_ context.Context, g *globals, args []string) error {
	fs := newFlags(g, "autostart", "enable|disable|status", "Start tokentray when you log in (enable), stop doing so (disable), or show the registration (status).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError(2)
	}
	where, err := autostart.Location(autostartID)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "enable":
		e, err := g.autostartEntry()
		if err != nil {
			return err
		}
		if err := autostart.Enable(e); err != nil {
			return err
		}
	case "disable":
		if err := autostart.Disable(autostartID); err != nil {
			return err
		}
	case "status":
	default:
		fs.Usage()
		return exitError(2)
	}
	// The registration read back is the answer, also after enable/disable.
	on, err := autostart.Status(autostartID)
	if err != nil {
		return err
	}
	if on {
		fmt.Fprintf(g.stdout, "Start at login: enabled (%s)\n", where)
	} else {
		fmt.Fprintf(g.stdout, "Start at login: disabled (%s)\n", where)
	}
	return nil
}
