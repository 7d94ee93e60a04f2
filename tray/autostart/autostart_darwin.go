//go:build darwin

package autostart

import (
	"fmt"
	"os"
)

func home() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	return h, nil
}

// Enable registers e to start at login by writing the launch agent
// ~/Library/LaunchAgents/<ID>.plist; launchd loads it at the next login.
// Calling it again rewrites the agent.
func Enable(e Entry) error {
	h, err := home()
	if err != nil {
		return err
	}
	return launchdEnable(h, e)
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
// without Disabled.
func Status(id string) (bool, error) {
	h, err := home()
	if err != nil {
		return false, err
	}
	return launchdStatus(h, id)
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
