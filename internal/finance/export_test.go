package finance

// NaiveCameraDays lets the benchmark measure the obvious computation
// beside CameraDays.
var NaiveCameraDays = naiveCameraDays
