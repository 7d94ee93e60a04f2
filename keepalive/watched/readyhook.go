package watched

// OnWatchReady makes every [Watch] call f once it has taken its first
// snapshot and installed its watches, so that a test of a package that
// runs Watch (the keepalive engine) knows a change it makes from then on
// is reported. It returns a function that restores the previous hook. Set
// it before Watch starts and restore it after Watch has returned.
func OnWatchReady(f func()) (restore func()) {
	prev := testHookWatchReady
	testHookWatchReady = f
	return func() { testHookWatchReady = prev }
}
