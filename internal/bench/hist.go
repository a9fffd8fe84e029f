package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a latency histogram that many goroutines add to at once without
// a lock or an allocation: 128 buckets per power of two, so a percentile
// is within 1% of the true value, whatever its size.
type hist struct {
	buckets [histBuckets]atomic.Uint64
	count   atomic.Uint64
	sum     atomic.Int64
	max     atomic.Int64
	bad     atomic.Uint64 // negative durations: clocks disagreeing
}

const (
	histSub     = 128
	histBuckets = (64 - 7 + 1) * histSub
)

func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - 8 // v>>e is in [128, 256)
	return (e+1)*histSub + int(v>>e) - histSub
}

// histValue is the middle of bucket i.
func histValue(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	e := i/histSub - 1
	lo := uint64(i%histSub+histSub) << e
	return lo + (uint64(1)<<e)/2
}

func (h *hist) add(d time.Duration) {
	if d < 0 {
		h.bad.Add(1)
		return
	}
	h.buckets[histIndex(uint64(d))].Add(1)
	h.count.Add(1)
	h.sum.Add(int64(d))
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (h *hist) reset() {
	for i := range h.buckets {
		h.buckets[i].Store(0)
	}
	h.count.Store(0)
	h.sum.Store(0)
	h.max.Store(0)
	h.bad.Store(0)
}

// Latency summarises a histogram.
type Latency struct {
	Count    uint64        `json:"count"`
	Negative uint64        `json:"negative,omitempty"`
	Mean     time.Duration `json:"mean"`
	P50      time.Duration `json:"p50"`
	P90      time.Duration `json:"p90"`
	P99      time.Duration `json:"p99"`
	P999     time.Duration `json:"p999"`
	Max      time.Duration `json:"max"`
}

func (h *hist) summary() Latency {
	var counts [histBuckets]uint64
	var n uint64
	for i := range h.buckets {
		counts[i] = h.buckets[i].Load()
		n += counts[i]
	}
	l := Latency{Count: n, Negative: h.bad.Load(), Max: time.Duration(h.max.Load())}
	if n == 0 {
		return l
	}
	l.Mean = time.Duration(h.sum.Load() / int64(h.count.Load()))
	at := func(q float64) time.Duration {
		rank := uint64(math.Ceil(q * float64(n)))
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen >= rank && c > 0 {
				return min(time.Duration(histValue(i)), l.Max)
			}
		}
		return l.Max
	}
	l.P50, l.P90, l.P99, l.P999 = at(0.50), at(0.90), at(0.99), at(0.999)
	return l
}
