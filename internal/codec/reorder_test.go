package codec

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
)

func TestReorderer(t *testing.T) {
	type in struct {
		seq  uint16
		ssrc uint32
	}
	tests := []struct {
		name   string
		window int
		in     []in
		want   [][]uint16 // delivered sequence numbers after each push
	}{
		{"in order", 4, []in{{10, 1}, {11, 1}, {12, 1}}, [][]uint16{{10}, {11}, {12}}},
		{"swap", 4, []in{{10, 1}, {12, 1}, {11, 1}, {13, 1}}, [][]uint16{{10}, {}, {11, 12}, {13}}},
		{"wrap-around", 8, []in{{65534, 1}, {0, 1}, {65535, 1}, {2, 1}, {1, 1}},
			[][]uint16{{65534}, {}, {65535, 0}, {}, {1, 2}}},
		{"duplicates", 8, []in{{5, 1}, {5, 1}, {7, 1}, {7, 1}, {6, 1}, {6, 1}, {7, 1}},
			[][]uint16{{5}, {}, {}, {}, {6, 7}, {}, {}}},
		{"late after delivery", 8, []in{{5, 1}, {6, 1}, {4, 1}, {7, 1}}, [][]uint16{{5}, {6}, {}, {7}}},
		{"window overflow skips oldest gap", 4, []in{{10, 1}, {12, 1}, {13, 1}, {14, 1}, {15, 1}, {16, 1}},
			[][]uint16{{10}, {}, {}, {}, {}, {12, 13, 14, 15, 16}}},
		{"overflow skips only what it must", 4, []in{{10, 1}, {13, 1}, {15, 1}, {16, 1}, {17, 1}, {18, 1}, {19, 1}},
			[][]uint16{{10}, {}, {}, {}, {13}, {}, {15, 16, 17, 18, 19}}},
		{"far ahead delivers the buffer", 4, []in{{10, 1}, {12, 1}, {30, 1}, {27, 1}, {26, 1}, {28, 1}, {29, 1}},
			[][]uint16{{10}, {}, {12}, {}, {26, 27}, {28}, {29, 30}}},
		{"late after overflow dropped", 4, []in{{10, 1}, {12, 1}, {13, 1}, {14, 1}, {15, 1}, {16, 1}, {11, 1}, {17, 1}},
			[][]uint16{{10}, {}, {}, {}, {}, {12, 13, 14, 15, 16}, {}, {17}}},
		{"ssrc change flushes and restarts", 8, []in{{10, 1}, {12, 1}, {13, 1}, {500, 2}, {501, 2}, {11, 1}},
			[][]uint16{{10}, {}, {}, {12, 13, 500}, {501}, {11}}},
		{"window 1", 1, []in{{10, 1}, {12, 1}, {11, 1}, {13, 1}, {15, 1}, {16, 1}, {18, 1}},
			[][]uint16{{10}, {}, {11, 12}, {13}, {}, {15, 16}, {}}},
		{"window 0 means 1", 0, []in{{10, 1}, {12, 1}, {14, 1}}, [][]uint16{{10}, {}, {12}}},
		{"restart confirmed by a second packet", 8, []in{{40000, 1}, {40001, 1}, {100, 1}, {101, 1}, {102, 1}},
			[][]uint16{{40000}, {40001}, {}, {100, 101}, {102}}},
		{"stray packet ignored", 8, []in{{40000, 1}, {100, 1}, {40001, 1}, {101, 1}, {40002, 1}},
			[][]uint16{{40000}, {}, {40001}, {}, {40002}}},
		{"restart flushes what was buffered", 8, []in{{40000, 1}, {40002, 1}, {100, 1}, {101, 1}},
			[][]uint16{{40000}, {}, {}, {40002, 100, 101}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReorderer(tt.window)
			for i, p := range tt.in {
				out := r.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: p.seq, SSRC: p.ssrc}})
				got := make([]uint16, 0, len(out))
				for _, q := range out {
					got = append(got, q.SequenceNumber)
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want[i]) {
					t.Errorf("push %d (seq %d): got %v, want %v", i, p.seq, got, tt.want[i])
				}
			}
		})
	}
}

// TestReordererLongRun feeds a long disordered stream with losses across
// several wrap-arounds and checks that output is strictly increasing
// (modulo 2^16), holds no duplicates and loses only what was dropped.
func TestReordererLongRun(t *testing.T) {
	const total = 200000
	r := NewReorderer(64)
	var delivered []uint16
	var sent int
	for base := 0; base < total; base += 16 {
		order := []int{3, 0, 1, 2, 7, 4, 6, 5, 8, 9, 15, 10, 11, 12, 13, 14}
		for _, o := range order {
			seq := uint16(base + o + 60000)
			if (base+o)%997 == 0 {
				continue // lost
			}
			sent++
			for _, p := range r.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, SSRC: 7}}) {
				delivered = append(delivered, p.SequenceNumber)
			}
		}
	}
	for i := 1; i < len(delivered); i++ {
		if d := int16(delivered[i] - delivered[i-1]); d <= 0 {
			t.Fatalf("delivery %d: got %d after %d, want increasing", i, delivered[i], delivered[i-1])
		}
	}
	// Only the tail still buffered behind the last loss may be missing.
	if len(delivered) < sent-64 || len(delivered) > sent {
		t.Errorf("got %d delivered, want between %d and %d", len(delivered), sent-64, sent)
	}
}

func BenchmarkReorderer(b *testing.B) {
	r := NewReorderer(64)
	pkts := make([]*rtp.Packet, 1024)
	for i := range pkts {
		pkts[i] = &rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i ^ 1), SSRC: 1}}
	}
	b.ReportAllocs()
	var seq uint16
	for b.Loop() {
		for _, p := range pkts {
			p.SequenceNumber = seq ^ 1
			seq++
			r.Push(p)
		}
	}
}
