package app

// This package's tests record real cameras, run browsers and restart
// servers: one after another they take about ten minutes on two cores,
// and the go command stops a test binary that runs past its default
// timeout (10 minutes, and a minute's grace), whatever the binary itself
// was told. So each test that starts a server of its own, and neither
// counts the process's goroutines (lifetime_test.go) nor measures a
// browser's frame rate or the server's timeouts, runs in parallel with
// the others (t.Parallel: as many at once as there are cores), most of
// their time being spent waiting for footage.
