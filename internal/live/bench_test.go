package live

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// BenchmarkWriteRTP measures the camera goroutine's cost per packet with
// 0, 1 and 5 viewers that take packets as fast as they come.
func BenchmarkWriteRTP(b *testing.B) {
	cl := loadClip(b, codec.H264)
	pkts := flatten(cl.packetize(codec.NewPacketizer(codec.H264, 96, 1, 1200), 0, 250, false))
	for _, n := range []int{0, 1, 5} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			h := NewHub("H264", cl.fmtp)
			for range n {
				v := newViewer(8192, func(*rtp.Packet) error { return nil }, nil)
				if err := h.add(v); err != nil {
					b.Fatal(err)
				}
				defer h.remove(v)
			}
			// Warm the pool and the viewers' state.
			for _, p := range pkts {
				h.WriteRTP(p)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				h.WriteRTP(pkts[i%len(pkts)])
			}
		})
	}
}

// BenchmarkLatency measures the time from Hub.WriteRTP to the packet's
// arrival at a WebRTC client's track over loopback, the clip paced at
// 25 fps. Run with -benchtime=3000x for 3000 packets.
func BenchmarkLatency(b *testing.B) {
	cl := loadClip(b, codec.H264)
	for _, n := range []int{1, 5} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			w := newTestWHEP(b, WHEPOptions{})
			h := NewHub("H264", cl.fmtp)
			var clients []*client
			for range n {
				clients = append(clients, connect(b, w, h))
			}
			eventually(b, "viewers on the hub", func() bool { return h.Viewers() == n })
			pz := codec.NewPacketizer(codec.H264, 96, 1, 1200)
			var frames [][]*rtp.Packet
			count := 0
			for i := 0; count < b.N || !frames[len(frames)-1][len(frames[len(frames)-1])-1].Marker; i++ {
				f := cl.packetize(pz, i, i+1, false)[0]
				frames = append(frames, f)
				count += len(f)
			}
			sent := sendTimes{}
			b.ResetTimer()
			done := make(chan struct{})
			go func() {
				defer close(done)
				feed(h, frames, 25, sent)
			}()
			var lat []time.Duration
			got := make([][]received, n)
			for i, c := range clients {
				got[i] = c.take(b, count)
			}
			<-done
			b.StopTimer()
			for _, rs := range got {
				lat = append(lat, sent.latencies(rs)...)
			}
			p50, p99 := percentiles(lat)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			b.ReportMetric(float64(len(lat)), "samples")
		})
	}
}
