package mp4

import (
	"bytes"
	"testing"
)

// fuzzSeeds are real files and pieces of them: the clips' first KB and
// their moov (behind an ftyp, so it parses as an init), a fragmented
// segment, and small progressive files with and without composition
// offsets.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, name := range clipNames {
		c := loadClip(f, name)
		seeds = append(seeds, c.data[:4096])
		moov := bytes.Index(c.data, []byte("moov")) - 4
		ftyp := c.data[:int(c.data[3])]
		seeds = append(seeds, append(append([]byte(nil), ftyp...), c.data[moov:]...))

		// A two-fragment segment of the first GOP with its samples cut to
		// a few bytes, so the seed stays small.
		var seg bytes.Buffer
		if _, err := WriteInit(&seg, c.track); err != nil {
			f.Fatal(err)
		}
		var hdr []byte
		for frag := range 2 {
			ss := make([]Sample, 3)
			for i := range ss {
				s := c.samples[frag*3+i].Sample
				s.Size = 5
				ss[i] = s
			}
			hdr = AppendFragment(hdr[:0], uint32(frag+1), uint64(frag*3*512), ss)
			seg.Write(hdr)
			seg.Write(make([]byte, 15))
		}
		seeds = append(seeds, seg.Bytes())
	}
	src := memSource(bytes.Repeat([]byte{0, 0, 0, 1, 0x65}, 40))
	for _, cto := range []int32{0, 1024, -512} {
		ss := make([]ProgressiveSample, 8)
		for i := range ss {
			ss[i] = ProgressiveSample{Sample: Sample{Duration: 512, Size: uint32(5 + i%3), Keyframe: i%4 == 0, CompositionOffset: cto * int32(i%2)}, Offset: int64(i * 9)}
		}
		p, err := NewProgressive(testTrack, ss, []Source{src}, ProgressiveOptions{Meta: map[string]string{"k": "v"}})
		if err != nil {
			f.Fatal(err)
		}
		b := make([]byte, p.Size())
		if _, err := p.ReadAt(b, 0); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

func FuzzReadInit(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, end, err := ReadInit(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if err := checkTrack(tr); err != nil {
			t.Errorf("ReadInit returned a track WriteInit refuses: %v", err)
		}
		if end <= 0 || end > int64(len(data)) {
			t.Errorf("end: got %d, want within (0, %d]", end, len(data))
		}
		// What we read, we can write and read back.
		var buf bytes.Buffer
		if _, err := WriteInit(&buf, tr); err != nil {
			t.Fatalf("WriteInit: %v", err)
		}
		back, _, err := ReadInit(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || back.Codec != tr.Codec || !bytes.Equal(back.Config, tr.Config) || back.Width != tr.Width ||
			back.Height != tr.Height || back.Timescale != tr.Timescale {
			t.Errorf("round trip: got %+v, %v, want %+v", back, err, tr)
		}
	})
}

func checkFragment(t *testing.T, fr Fragment, size int64) {
	t.Helper()
	var total int64
	for _, s := range fr.Samples {
		total += int64(s.Size)
	}
	if fr.Offset < 0 || fr.Size <= 0 || fr.Offset+fr.Size > size {
		t.Errorf("fragment [%d,+%d): outside the %d-byte file", fr.Offset, fr.Size, size)
	}
	if fr.DataOffset <= fr.Offset || fr.DataOffset+total > fr.Offset+fr.Size {
		t.Errorf("fragment [%d,+%d): samples at [%d,+%d) outside it", fr.Offset, fr.Size, fr.DataOffset, total)
	}
}

func FuzzReadFragment(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		// Seed with the segment's first moof at offset 0.
		if i := bytes.Index(s, []byte("moof")); i >= 4 {
			f.Add(s[i-4:])
		}
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ReadFragment(bytes.NewReader(data), 0, int64(len(data)))
		if err != nil {
			return
		}
		checkFragment(t, fr, int64(len(data)))
	})
}

func FuzzScanFragments(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		size := int64(len(data))
		from := int64(0)
		if _, end, err := ReadInit(bytes.NewReader(data), size); err == nil {
			from = end
		}
		frags, end, err := ScanFragments(bytes.NewReader(data), from, size)
		if err != nil {
			t.Fatalf("ScanFragments over bytes in memory: got %v, want no error", err)
		}
		if end < from || end > size {
			t.Errorf("validEnd: got %d, want within [%d, %d]", end, from, size)
		}
		prev := from
		for _, fr := range frags {
			checkFragment(t, fr, end)
			if fr.Offset < prev {
				t.Errorf("fragment at %d overlaps the previous, ending at %d", fr.Offset, prev)
			}
			prev = fr.Offset + fr.Size
		}
	})
}

func FuzzReadProgressive(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, refs, err := ReadProgressive(bytes.NewReader(data), int64(len(data)))
		if err != nil || len(refs) == 0 {
			return
		}
		ss := make([]ProgressiveSample, len(refs))
		var dts uint64
		for i, r := range refs {
			if r.Offset < 0 || r.Offset+int64(r.Size) > int64(len(data)) {
				t.Fatalf("sample %d at [%d,+%d): outside the %d-byte file", i, r.Offset, r.Size, len(data))
			}
			if r.DecodeTime != dts {
				t.Fatalf("sample %d decode time: got %d, want %d", i, r.DecodeTime, dts)
			}
			dts += uint64(r.Duration)
			ss[i] = ProgressiveSample{Sample: r.Sample, Offset: r.Offset}
		}
		// What we read, we can rebuild and read back identically.
		p, err := NewProgressive(tr, ss, []Source{bytes.NewReader(data)}, ProgressiveOptions{})
		if err != nil {
			t.Fatalf("NewProgressive: %v", err)
		}
		_, back, err := ReadProgressive(p, p.Size())
		if err != nil || len(back) != len(refs) {
			t.Fatalf("round trip: got %d samples, %v, want %d", len(back), err, len(refs))
		}
		for i := range back {
			if back[i].Sample != refs[i].Sample || back[i].DecodeTime != refs[i].DecodeTime {
				t.Fatalf("round trip sample %d: got %+v, want %+v", i, back[i], refs[i])
			}
		}
	})
}
