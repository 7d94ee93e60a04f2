//go:build windows

package autostart

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/windows/registry"
)

const (
	runKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	approvedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// Enable registers e to start at login as the value <ID> under
// HKCU\Software\Microsoft\Windows\CurrentVersion\Run, and clears a
// "disabled" mark the user may have set in Task Manager for it (enabling
// from our menu is an explicit choice). Calling it again rewrites the
// command line.
func Enable(e Entry) error {
	if err := e.validate(filepath.IsAbs); err != nil {
		return err
	}
	cmd, err := windowsCommandLine(e.Exec, e.Args)
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("start at login: opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.SetStringValue(e.ID, cmd); err != nil {
		return fmt.Errorf("start at login: writing HKCU\\%s\\%s: %w", runKey, e.ID, err)
	}
	return deleteValue(approvedKey, e.ID)
}

// Disable deletes the Run value (and its Task Manager mark); a missing
// value is not an error.
func Disable(id string) error {
	if err := validID(id); err != nil {
		return err
	}
	if err := deleteValue(runKey, id); err != nil {
		return err
	}
	return deleteValue(approvedKey, id)
}

// Status reports whether the Run value exists and Task Manager does not
// mark it disabled.
func Status(id string) (bool, error) {
	if err := validID(id); err != nil {
		return false, err
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start at login: opening HKCU\\%s: %w", runKey, err)
	}
	defer k.Close()
	cmd, _, err := k.GetStringValue(id)
	if errors.Is(err, registry.ErrNotExist) || (err == nil && cmd == "") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start at login: reading HKCU\\%s\\%s: %w", runKey, id, err)
	}
	a, err := registry.OpenKey(registry.CURRENT_USER, approvedKey, registry.QUERY_VALUE)
	if err != nil {
		return true, nil // no Task Manager marks at all
	}
	defer a.Close()
	v, _, err := a.GetBinaryValue(id)
	if err != nil {
		return true, nil
	}
	return !startupApprovedDisabled(v), nil
}

// Location returns where Enable registers id: the registry value.
func Location(id string) (string, error) {
	if err := validID(id); err != nil {
		return "", err
	}
	return `HKCU\` + runKey + `\` + id, nil
}

func deleteValue(key, name string) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start at login: opening HKCU\\%s: %w", key, err)
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("start at login: deleting HKCU\\%s\\%s: %w", key, name, err)
	}
	return nil
}
