//go:build !unix && !windows

package oauthflow

// offlineErrnos is empty where the platform's errno values are unknown; the
// message-based checks in Classify still apply.
var offlineErrnos []error
