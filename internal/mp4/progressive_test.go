package mp4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// box returns the body of the box at the path of types under b, or nil.
func box(t *testing.T, b []byte, path ...string) []byte {
	t.Helper()
	for _, typ := range path {
		body, ok, err := child(b, typ)
		if err != nil {
			t.Fatalf("box %v: %v", path, err)
		}
		if !ok {
			return nil
		}
		b = body
	}
	return b
}

var stblPath = []string{"moov", "trak", "mdia", "minf", "stbl"}

func stblBox(t *testing.T, file []byte, typ string) []byte {
	t.Helper()
	return box(t, file, append(append([]string(nil), stblPath...), typ)...)
}

// readAll reads a Progressive with one ReadAt.
func readAll(t *testing.T, p *Progressive) []byte {
	t.Helper()
	b := make([]byte, p.Size())
	if n, err := p.ReadAt(b, 0); n != len(b) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt whole file: got %d, %v, want %d", n, err, len(b))
	}
	return b
}

// countingSource counts its reads.
type countingSource struct {
	r     io.ReaderAt
	reads atomic.Int64
}

func (c *countingSource) ReadAt(p []byte, off int64) (int, error) {
	c.reads.Add(1)
	return c.r.ReadAt(p, off)
}

// progressiveFromSegments writes the clip's first 3 GOPs to segment A and
// the rest to segment B, and returns a Progressive of all samples read back
// from the two files.
func progressiveFromSegments(t *testing.T, c clip, opt ProgressiveOptions) (*Progressive, []*countingSource) {
	t.Helper()
	gops := c.gops()
	segs := [][]byte{c.segment(t, gops[:3], 1), c.segment(t, gops[3:], 4)}
	var samples []ProgressiveSample
	var sources []*countingSource
	var srcs []Source
	for i, seg := range segs {
		f, err := os.Open(writeTemp(t, "seg"+string(rune('A'+i))+".mp4", seg))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		_, end, err := ReadInit(f, int64(len(seg)))
		if err != nil {
			t.Fatal(err)
		}
		frags, _, err := ScanFragments(f, end, int64(len(seg)))
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range frags {
			pos := fr.DataOffset
			for _, s := range fr.Samples {
				samples = append(samples, ProgressiveSample{Sample: s, Source: i, Offset: pos})
				pos += int64(s.Size)
			}
		}
		cs := &countingSource{r: f}
		sources = append(sources, cs)
		srcs = append(srcs, cs)
	}
	p, err := NewProgressive(c.track, samples, srcs, opt)
	if err != nil {
		t.Fatalf("NewProgressive: %v", err)
	}
	return p, sources
}

func TestProgressiveFromSegments(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, name := range clipNames {
		t.Run(name, func(t *testing.T) {
			c := loadClip(t, name)
			meta := map[string]string{"camera": "front door", "from": "2024-05-06T07:08:09Z"}
			p, sources := progressiveFromSegments(t, c, ProgressiveOptions{CreationTime: created, Meta: meta})
			full := readAll(t, p)
			for i, s := range sources {
				// One read per fragment: its samples are contiguous in the segment.
				if got, want := s.reads.Load(), []int64{3, 2}[i]; got != want {
					t.Errorf("source %d: got %d reads, want %d (one per chunk)", i, got, want)
				}
			}
			if p.Duration() != 128000 {
				t.Errorf("Duration: got %d, want 128000 (10 s at 12800)", p.Duration())
			}

			var order []string
			for b := full; len(b) > 0; {
				typ, _, rest, err := nextBox(b)
				if err != nil {
					t.Fatalf("top-level boxes: %v", err)
				}
				order = append(order, typ)
				b = rest
			}
			if len(order) != 3 || order[0] != "ftyp" || order[1] != "moov" || order[2] != "mdat" {
				t.Errorf("top-level boxes: got %v, want [ftyp moov mdat]", order)
			}
			if stco := stblBox(t, full, "stco"); stco == nil || binary.BigEndian.Uint32(stco[4:]) != 5 {
				t.Errorf("stco: got %x, want 5 chunks", stco)
			}
			if stblBox(t, full, "ctts") != nil || box(t, full, "moov", "trak", "edts") != nil {
				t.Errorf("got ctts or edts, want neither for a stream without composition offsets")
			}
			mvhd := box(t, full, "moov", "mvhd")
			if got, want := binary.BigEndian.Uint32(mvhd[4:]), uint32(created.Unix()+2082844800); got != want {
				t.Errorf("mvhd creation time: got %d, want %d", got, want)
			}
			if got, want := string(box(t, full, "moov", "udta", "vgil")), "camera=front door\nfrom=2024-05-06T07:08:09Z\n"; got != want {
				t.Errorf("meta: got %q, want %q", got, want)
			}

			path := writeTemp(t, "progressive.mp4", full)
			ffmpegDecodes(t, path)
			pr := ffprobe(t, path)
			if pr.Frames != 250 || pr.Width != 640 || pr.Height != 360 || pr.Duration < 9.999 || pr.Duration > 10.001 {
				t.Errorf("ffprobe: got %+v, want 250 frames 640x360 10 s", pr)
			}

			tr, refs, err := ReadProgressive(bytes.NewReader(full), int64(len(full)))
			if err != nil {
				t.Fatalf("ReadProgressive: %v", err)
			}
			if tr.Codec != c.track.Codec || !bytes.Equal(tr.Config, c.track.Config) || tr.Timescale != c.track.Timescale {
				t.Errorf("track: got %+v, want %+v", tr, c.track)
			}
			if len(refs) != len(c.samples) {
				t.Fatalf("samples: got %d, want %d", len(refs), len(c.samples))
			}
			for i, r := range refs {
				want := c.samples[i]
				if r.Sample != want.Sample || r.DecodeTime != want.DecodeTime {
					t.Errorf("sample %d: got %+v, want %+v", i, r, want)
				}
				if !bytes.Equal(full[r.Offset:r.Offset+int64(r.Size)], c.bytesOf(want)) {
					t.Errorf("sample %d: bytes differ from the clip's", i)
				}
			}

			rng := rand.New(rand.NewPCG(1, 2))
			hdr := int64(bytes.Index(full, []byte("mdat")))
			for i := range 300 {
				off := rng.Int64N(int64(len(full)))
				switch i % 3 {
				case 0:
					off = hdr - rng.Int64N(64) // across the header and mdat boundary
				case 1:
					off = int64(len(full)) - rng.Int64N(4096) // up to the end
				}
				b := make([]byte, 1+rng.IntN(100000))
				n, err := p.ReadAt(b, off)
				want := full[off:min(off+int64(len(b)), int64(len(full)))]
				if n != len(want) || !bytes.Equal(b[:n], want) {
					t.Fatalf("ReadAt(%d bytes at %d): got %d bytes differing from the full read", len(b), off, n)
				}
				if wantErr := n < len(b); (err == io.EOF) != wantErr || (err != nil && err != io.EOF) {
					t.Fatalf("ReadAt(%d bytes at %d): got err %v, want EOF only when short", len(b), off, err)
				}
			}
			var seq bytes.Buffer
			if _, err := io.CopyBuffer(&seq, io.NewSectionReader(p, 0, p.Size()), make([]byte, 1000)); err != nil || !bytes.Equal(seq.Bytes(), full) {
				t.Errorf("sequential 1000-byte reads: got %d bytes, err %v, want the %d of the full read", seq.Len(), err, len(full))
			}
		})
	}
}

// memSource is an in-memory Source.
type memSource []byte

func (m memSource) ReadAt(p []byte, off int64) (int, error) { return bytes.NewReader(m).ReadAt(p, off) }

var testTrack = Track{Codec: "avc1", Config: []byte{1, 0x4d, 0, 0x1e, 0xff, 0xe0}, Width: 1920, Height: 1080, Timescale: 90000}

func TestProgressiveTables(t *testing.T) {
	src := make(memSource, 1<<16)
	for i := range src {
		src[i] = byte(i * 7)
	}
	mk := func(n int, f func(i int, s *ProgressiveSample)) []ProgressiveSample {
		ss := make([]ProgressiveSample, n)
		var off int64
		for i := range ss {
			ss[i] = ProgressiveSample{Sample: Sample{Duration: 3600, Size: 100, Keyframe: i%10 == 0}, Offset: off}
			f(i, &ss[i])
			off = ss[i].Offset + int64(ss[i].Size)
		}
		return ss
	}
	tests := []struct {
		name        string
		samples     []ProgressiveSample
		start       int64
		wantCtts    int // -1: no ctts, else its version
		wantEdit    int64
		wantStss    bool
		wantStsz    uint32 // constant size, or 0 for a table
		wantChunks  int
		wantStscRun int
		wantDur     uint64
	}{
		{
			name: "b-frames",
			samples: mk(30, func(i int, s *ProgressiveSample) {
				s.CompositionOffset = []int32{7200, 18000, 3600}[i%3]
				s.Size = uint32(50 + i)
			}),
			wantCtts: 0, wantEdit: 7200, wantStss: true, wantChunks: 1, wantStscRun: 1, wantDur: 30 * 3600,
		},
		{
			name: "negative offsets",
			samples: mk(30, func(i int, s *ProgressiveSample) {
				s.CompositionOffset = []int32{0, 3600, -3600}[i%3]
			}),
			wantCtts: 1, wantEdit: -1, wantStss: true, wantStsz: 100, wantChunks: 1, wantStscRun: 1, wantDur: 30 * 3600,
		},
		{
			name: "all keyframes, gaps, varying durations",
			samples: mk(20, func(i int, s *ProgressiveSample) {
				s.Keyframe = true
				s.Duration = uint32(3000 + 100*(i/5))
				if i%4 == 0 {
					s.Offset += 1000 // a gap in the source starts a new chunk
				}
			}),
			wantCtts: -1, wantEdit: -1, wantStsz: 100, wantChunks: 5, wantStscRun: 1, wantDur: 5 * (3000 + 3100 + 3200 + 3300),
		},
		{
			name: "uneven chunks",
			samples: mk(10, func(i int, s *ProgressiveSample) {
				if i == 2 || i == 4 || i == 7 { // chunks of 2, 2, 3, 3 samples
					s.Offset += 10
				}
			}),
			wantCtts: -1, wantEdit: -1, wantStss: true, wantStsz: 100, wantChunks: 4, wantStscRun: 2, wantDur: 10 * 3600,
		},
		{
			name: "empty samples",
			samples: mk(3, func(i int, s *ProgressiveSample) {
				s.Size = 0
				s.Keyframe = true
			}),
			wantCtts: -1, wantEdit: -1, wantStsz: 0, wantChunks: 1, wantStscRun: 1, wantDur: 3 * 3600,
		},
		{
			name:     "start offset",
			samples:  mk(10, func(i int, s *ProgressiveSample) {}),
			start:    5000,
			wantCtts: -1, wantEdit: 5000, wantStss: true, wantStsz: 100, wantChunks: 1, wantStscRun: 1, wantDur: 10*3600 - 5000,
		},
		{
			name: "start offset with b-frames",
			samples: mk(10, func(i int, s *ProgressiveSample) {
				s.CompositionOffset = 7200
			}),
			start:    100,
			wantCtts: 0, wantEdit: 7300, wantStss: true, wantStsz: 100, wantChunks: 1, wantStscRun: 1, wantDur: 10*3600 - 100,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewProgressive(testTrack, tc.samples, []Source{src}, ProgressiveOptions{StartOffset: tc.start})
			if err != nil {
				t.Fatal(err)
			}
			if p.Duration() != tc.wantDur {
				t.Errorf("Duration: got %d, want %d", p.Duration(), tc.wantDur)
			}
			file := readAll(t, p)
			gotCtts := -1
			if ctts := stblBox(t, file, "ctts"); ctts != nil {
				gotCtts = int(ctts[0])
			}
			if gotCtts != tc.wantCtts {
				t.Errorf("ctts version: got %d, want %d (-1: none)", gotCtts, tc.wantCtts)
			}
			elst := box(t, file, "moov", "trak", "edts", "elst")
			switch {
			case tc.wantEdit < 0 && elst != nil:
				t.Errorf("elst: got %x, want none", elst)
			case tc.wantEdit >= 0 && (len(elst) != 20 || int64(binary.BigEndian.Uint32(elst[12:])) != tc.wantEdit ||
				uint64(binary.BigEndian.Uint32(elst[8:])) != tc.wantDur):
				t.Errorf("elst: got %x, want media_time %d, duration %d", elst, tc.wantEdit, tc.wantDur)
			}
			if got := stblBox(t, file, "stss") != nil; got != tc.wantStss {
				t.Errorf("stss present: got %v, want %v", got, tc.wantStss)
			}
			if got := binary.BigEndian.Uint32(stblBox(t, file, "stsz")[4:]); got != tc.wantStsz {
				t.Errorf("stsz sample_size: got %d, want %d", got, tc.wantStsz)
			}
			if got := binary.BigEndian.Uint32(stblBox(t, file, "stco")[4:]); int(got) != tc.wantChunks {
				t.Errorf("stco chunks: got %d, want %d", got, tc.wantChunks)
			}
			if got := binary.BigEndian.Uint32(stblBox(t, file, "stsc")[4:]); int(got) != tc.wantStscRun {
				t.Errorf("stsc entries: got %d, want %d", got, tc.wantStscRun)
			}

			_, refs, err := ReadProgressive(bytes.NewReader(file), int64(len(file)))
			if err != nil {
				t.Fatalf("ReadProgressive: %v", err)
			}
			if len(refs) != len(tc.samples) {
				t.Fatalf("samples: got %d, want %d", len(refs), len(tc.samples))
			}
			var dts uint64
			for i, r := range refs {
				want := tc.samples[i]
				if r.Sample != want.Sample || r.DecodeTime != dts {
					t.Errorf("sample %d: got %+v, want %+v at %d", i, r, want.Sample, dts)
				}
				if !bytes.Equal(file[r.Offset:r.Offset+int64(r.Size)], src[want.Offset:want.Offset+int64(want.Size)]) {
					t.Errorf("sample %d: bytes differ from the source's", i)
				}
				dts += uint64(want.Duration)
			}
		})
	}
}

// zeroSource is a huge source of zeros that records the last offset read.
type zeroSource struct{ last atomic.Int64 }

func (z *zeroSource) ReadAt(p []byte, off int64) (int, error) {
	z.last.Store(off)
	clear(p)
	return len(p), nil
}

func TestProgressiveCo64(t *testing.T) {
	const gib = 1 << 30
	srcs := []*zeroSource{{}, {}}
	var samples []ProgressiveSample
	for i := range 6 {
		samples = append(samples, ProgressiveSample{
			Sample: Sample{Duration: 90000, Size: gib, Keyframe: true},
			Source: i % 2, // alternating sources: every sample is a chunk
			Offset: 5*gib + int64(i/2)*gib,
		})
	}
	p, err := NewProgressive(testTrack, samples, []Source{srcs[0], srcs[1]}, ProgressiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hdrLen := bytes.Index(readHead(t, p, 1<<16), []byte("mdat")) + 12 // 64-bit mdat header
	head := readHead(t, p, hdrLen)
	if stblBox(t, head, "stco") != nil || stblBox(t, head, "co64") == nil {
		t.Fatalf("got stco %v co64 %v, want co64 only", stblBox(t, head, "stco") != nil, stblBox(t, head, "co64") != nil)
	}
	if want := int64(hdrLen) + 6*gib; p.Size() != want {
		t.Errorf("Size: got %d, want %d", p.Size(), want)
	}
	if got := binary.BigEndian.Uint32(head[hdrLen-16:]); got != 1 || string(head[hdrLen-12:hdrLen-8]) != "mdat" ||
		binary.BigEndian.Uint64(head[hdrLen-8:]) != 6*gib+16 {
		t.Errorf("mdat header: got %x, want the 64-bit form of %d bytes", head[hdrLen-16:], 6*gib+16)
	}

	_, refs, err := ReadProgressive(p, p.Size())
	if err != nil {
		t.Fatalf("ReadProgressive: %v", err)
	}
	for i, r := range refs {
		if want := int64(hdrLen) + int64(i)*gib; r.Offset != want || r.Size != gib {
			t.Errorf("sample %d: got offset %d size %d, want %d %d", i, r.Offset, r.Size, want, gib)
		}
	}

	// Reads deep in the file reach the right source at the right offset.
	b := make([]byte, 100)
	off := refs[3].Offset + 10
	if n, err := p.ReadAt(b, off); n != 100 || err != nil || srcs[1].last.Load() != samples[3].Offset+10 {
		t.Errorf("ReadAt %d: got %d, %v from source 1 at %d, want 100, nil at %d", off, n, err, srcs[1].last.Load(), samples[3].Offset+10)
	}
	if n, err := p.ReadAt(b, p.Size()-40); n != 40 || err != io.EOF {
		t.Errorf("ReadAt across the end: got %d, %v, want 40, EOF", n, err)
	}
}

func readHead(t *testing.T, p *Progressive, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := p.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewProgressiveErrors(t *testing.T) {
	src := memSource(make([]byte, 1000))
	one := []ProgressiveSample{{Sample: Sample{Duration: 10, Size: 10, Keyframe: true}}}
	tests := []struct {
		name    string
		track   Track
		samples []ProgressiveSample
		sources []Source
		opt     ProgressiveOptions
	}{
		{"no samples", testTrack, nil, []Source{src}, ProgressiveOptions{}},
		{"bad track", Track{Codec: "avc1"}, one, []Source{src}, ProgressiveOptions{}},
		{"source index", testTrack, []ProgressiveSample{{Source: 1}}, []Source{src}, ProgressiveOptions{}},
		{"negative source", testTrack, []ProgressiveSample{{Source: -1}}, []Source{src}, ProgressiveOptions{}},
		{"nil source", testTrack, one, []Source{nil}, ProgressiveOptions{}},
		{"negative offset", testTrack, []ProgressiveSample{{Offset: -1}}, []Source{src}, ProgressiveOptions{}},
		{"negative start", testTrack, one, []Source{src}, ProgressiveOptions{StartOffset: -1}},
		{"start past end", testTrack, one, []Source{src}, ProgressiveOptions{StartOffset: 10}},
		{"meta key with =", testTrack, one, []Source{src}, ProgressiveOptions{Meta: map[string]string{"a=b": "c"}}},
		{"meta value with newline", testTrack, one, []Source{src}, ProgressiveOptions{Meta: map[string]string{"a": "b\nc"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := NewProgressive(tc.track, tc.samples, tc.sources, tc.opt); err == nil {
				t.Errorf("got %d-byte file, want an error", p.Size())
			}
		})
	}
}

// errSource fails or comes up short.
type errSource struct{ err error }

func (e errSource) ReadAt(p []byte, off int64) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return len(p) / 2, nil
}

func TestProgressiveReadErrors(t *testing.T) {
	boom := errors.New("boom")
	one := []ProgressiveSample{{Sample: Sample{Duration: 10, Size: 1000, Keyframe: true}}}
	tests := []struct {
		name    string
		src     Source
		off     int64
		wantErr error
	}{
		{"source error", errSource{boom}, -1, boom},
		{"short source", errSource{}, -1, io.ErrUnexpectedEOF},
		{"negative offset", memSource(make([]byte, 1000)), -1 << 40, nil},
		{"past end", memSource(make([]byte, 1000)), 1 << 40, io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewProgressive(testTrack, one, []Source{tc.src}, ProgressiveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			off := tc.off
			if off == -1 {
				off = p.Size() - 500
			}
			n, err := p.ReadAt(make([]byte, 100), off)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Errorf("got %d, %v, want error %v", n, err, tc.wantErr)
			}
		})
	}
}

func TestProgressiveEditList(t *testing.T) {
	ffmpeg := testkit.NeedTool(t, "ffmpeg")
	bf := filepath.Join(t.TempDir(), "bframes.mp4")
	// A stream with B-frames: its first sample has a positive composition offset.
	out, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25:duration=4",
		"-c:v", "libx264", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p", bf).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	h264 := filepath.Join("..", "simcam", "clips", "h264.mp4")
	tests := []struct {
		name      string
		file      string
		start     int64
		wantEdit  int64
		wantDur   float64
		wantFrame int
	}{
		{"b-frames", bf, 0, 1024, 4, 100},
		{"start one second in", h264, 12800, 12800, 9, 225},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			tr, refs, err := ReadProgressive(f, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			samples := make([]ProgressiveSample, len(refs))
			for i, r := range refs {
				samples[i] = ProgressiveSample{Sample: r.Sample, Offset: r.Offset}
			}
			p, err := NewProgressive(tr, samples, []Source{f}, ProgressiveOptions{StartOffset: tc.start})
			if err != nil {
				t.Fatal(err)
			}
			full := readAll(t, p)
			if elst := box(t, full, "moov", "trak", "edts", "elst"); len(elst) != 20 || int64(binary.BigEndian.Uint32(elst[12:])) != tc.wantEdit {
				t.Errorf("elst: got %x, want media_time %d", elst, tc.wantEdit)
			}
			path := writeTemp(t, "edit.mp4", full)
			ffmpegDecodes(t, path)
			pr := ffprobe(t, path)
			if pr.Frames != tc.wantFrame || pr.Duration < tc.wantDur-0.001 || pr.Duration > tc.wantDur+0.001 {
				t.Errorf("ffprobe: got %d frames, %v s, want %d, %v", pr.Frames, pr.Duration, tc.wantFrame, tc.wantDur)
			}
		})
	}
}
