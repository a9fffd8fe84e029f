package mp4

import (
	"testing"
)

// benchSamples lays out an hour at 25 fps as the recorder stores it:
// 1,800 fragments of 50 samples (about 20 KB each, 4 Mbit/s) in 60 segment
// sources, with a moof between fragments.
func benchSamples() ([]ProgressiveSample, int64) {
	const perFrag, frags, sources, moof = 50, 1800, 60, 900
	ss := make([]ProgressiveSample, 0, perFrag*frags)
	var end int64
	for f := range frags {
		src := f / (frags / sources)
		if f%(frags/sources) == 0 {
			end = 700 // after the init
		}
		end += moof
		for i := range perFrag {
			s := ProgressiveSample{
				Sample: Sample{Duration: 3600, Size: uint32(15000 + (f*perFrag+i)%7*1000), Keyframe: i == 0},
				Source: src,
				Offset: end,
			}
			if i == 0 {
				s.Size = 80000
			}
			end += int64(s.Size)
			ss = append(ss, s)
		}
	}
	return ss, end
}

func BenchmarkNewProgressive(b *testing.B) {
	ss, _ := benchSamples()
	srcs := make([]Source, 60)
	for i := range srcs {
		srcs[i] = memSource(nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewProgressive(testTrack, ss, srcs, ProgressiveOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProgressiveRead(b *testing.B) {
	// One in-memory source holding the first 32 MiB worth of fragments.
	all, _ := benchSamples()
	var ss []ProgressiveSample
	for _, s := range all {
		if s.Source != 0 {
			break
		}
		ss = append(ss, s)
	}
	last := ss[len(ss)-1]
	src := make(memSource, last.Offset+int64(last.Size))
	p, err := NewProgressive(testTrack, ss, []Source{src}, ProgressiveOptions{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var off int64
	for b.Loop() {
		n, err := p.ReadAt(buf, off)
		if err != nil && n == 0 {
			off = 0
			continue
		}
		off += int64(n)
	}
}
