//go:build !linux

package daemon

// dropStartupPages does nothing here.
func dropStartupPages() {}
