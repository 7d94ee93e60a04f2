//go:build darwin

package autostart

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// launchctl runs /bin/launchctl, bounded: it answers at once normally.
func launchctl(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "/bin/launchctl", args...).Output()
}

func home() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	return h, nil
}

// Enable registers e to start at login by writing the launch agent
// ~/Library/LaunchAgents/<ID>.plist; launchd loads it at the next login.
// Calling it again rewrites the agent. It also clears a `launchctl
// disable` mark for it (enabling from our menu is an explicit choice).
func Enable(e Entry) error {
	h, err := home()
	if err != nil {
		return err
	}
	if err := launchdEnable(h, e); err != nil {
		return err
	}
	launchctl("enable", fmt.Sprintf("gui/%d/%s", os.Getuid(), e.ID)) // best effort
	return nil
}

// Disable removes the launch agent; a missing agent is not an error. A
// running instance keeps running.
func Disable(id string) error {
	h, err := home()
	if err != nil {
		return err
	}
	return launchdDisable(h, id)
}

// Status reports whether the launch agent exists with RunAtLoad and
// without Disabled, and `launchctl print-disabled` does not mark it
// disabled.
func Status(id string) (bool, error) {
	h, err := home()
	if err != nil {
		return false, err
	}
	return launchdStatusWith(h, id, os.Getuid(), launchctl)
}

// Location returns where Enable registers id: the plist path.
func Location(id string) (string, error) {
	if err := validID(id); err != nil {
		return "", err
	}
	h, err := home()
	if err != nil {
		return "", err
	}
	return launchAgentFile(h, id), nil
}
