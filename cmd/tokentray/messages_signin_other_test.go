//go:build !linux

package main

import "testing"

// signInFailureOutputs needs the fake xdg-open of the Linux tests.
func signInFailureOutputs(t *testing.T, h *home) []string { return nil }
