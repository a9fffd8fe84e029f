package mp4

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

var clipNames = []string{"h264", "h265"}

// clip is a test clip read with ReadProgressive.
type clip struct {
	name    string
	track   Track
	samples []SampleRef
	data    []byte
}

func loadClip(t testing.TB, name string) clip {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "simcam", "clips", name+".mp4"))
	if err != nil {
		t.Fatal(err)
	}
	tr, samples, err := ReadProgressive(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("ReadProgressive(%s): %v", name, err)
	}
	return clip{name: name, track: tr, samples: samples, data: data}
}

func (c clip) bytesOf(s SampleRef) []byte { return c.data[s.Offset : s.Offset+int64(s.Size)] }

// gops splits the clip's samples at keyframes.
func (c clip) gops() [][]SampleRef {
	var out [][]SampleRef
	for i, s := range c.samples {
		if s.Keyframe || i == 0 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
	}
	return out
}

// segment writes a fragmented file of the given GOPs, numbering fragments
// from seq.
func (c clip) segment(t testing.TB, gops [][]SampleRef, seq uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteInit(&buf, c.track); err != nil {
		t.Fatal(err)
	}
	var hdr []byte
	for _, g := range gops {
		ss := make([]Sample, len(g))
		for i, s := range g {
			ss[i] = s.Sample
		}
		hdr = AppendFragment(hdr[:0], seq, g[0].DecodeTime, ss)
		buf.Write(hdr)
		for _, s := range g {
			buf.Write(c.bytesOf(s))
		}
		seq++
	}
	return buf.Bytes()
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ffmpegDecodes fails the test unless ffmpeg decodes the file silently.
func ffmpegDecodes(t *testing.T, path string) {
	t.Helper()
	ffmpeg := testkit.NeedTool(t, "ffmpeg")
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("ffmpeg decoding %s: got err %v, output %q, want no error and no output", path, err, out)
	}
}

type probed struct {
	Codec    string
	Width    int
	Height   int
	Frames   int
	Duration float64
}

func ffprobe(t *testing.T, path string) probed {
	t.Helper()
	bin := testkit.NeedTool(t, "ffprobe")
	out, err := exec.Command(bin, "-v", "error", "-count_frames", "-select_streams", "v",
		"-show_entries", "stream=nb_read_frames,width,height,codec_name:format=duration",
		"-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var r struct {
		Streams []struct {
			CodecName    string `json:"codec_name"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			NbReadFrames string `json:"nb_read_frames"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Streams) != 1 {
		t.Fatalf("ffprobe output %s: got %d streams (%v), want 1", out, len(r.Streams), err)
	}
	s := r.Streams[0]
	p := probed{Codec: s.CodecName, Width: s.Width, Height: s.Height}
	p.Frames, _ = strconv.Atoi(s.NbReadFrames)
	p.Duration, _ = strconv.ParseFloat(r.Format.Duration, 64)
	return p
}

func TestReadClips(t *testing.T) {
	tests := []struct {
		name, codec, cfgBox string
	}{
		{"h264", "avc1", "avcC"},
		{"h265", "hvc1", "hvcC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := loadClip(t, tc.name)
			if c.track.Codec != tc.codec || c.track.Width != 640 || c.track.Height != 360 || c.track.Timescale != 12800 {
				t.Errorf("track: got %s %dx%d /%d, want %s 640x360 /12800",
					c.track.Codec, c.track.Width, c.track.Height, c.track.Timescale, tc.codec)
			}
			if i := bytes.Index(c.data, []byte(tc.cfgBox)); i < 4 || !bytes.Equal(c.data[i+4:i+4+len(c.track.Config)], c.track.Config) ||
				int(binary.BigEndian.Uint32(c.data[i-4:])) != 8+len(c.track.Config) {
				t.Errorf("config: got %d bytes not matching the file's %s box", len(c.track.Config), tc.cfgBox)
			}
			if len(c.samples) != 250 {
				t.Fatalf("samples: got %d, want 250", len(c.samples))
			}
			keys := 0
			var end int64
			for i, s := range c.samples {
				if s.Keyframe {
					keys++
					if i%50 != 0 {
						t.Errorf("sample %d: got keyframe, want keyframes every 50", i)
					}
				}
				if s.Duration != 512 || s.DecodeTime != uint64(512*i) || s.CompositionOffset != 0 {
					t.Errorf("sample %d: got duration %d dts %d cto %d, want 512 %d 0",
						i, s.Duration, s.DecodeTime, s.CompositionOffset, 512*i)
				}
				if i > 0 && s.Offset != end {
					t.Errorf("sample %d: got offset %d, want %d (contiguous)", i, s.Offset, end)
				}
				end = s.Offset + int64(s.Size)
				// AVCC framing: the first NAL length must fit in the sample.
				if n := binary.BigEndian.Uint32(c.bytesOf(s)); int64(n)+4 > int64(s.Size) {
					t.Errorf("sample %d: got NAL length %d in a %d-byte sample", i, n, s.Size)
				}
			}
			if keys != 5 {
				t.Errorf("keyframes: got %d, want 5", keys)
			}
			tr, moovEnd, err := ReadInit(bytes.NewReader(c.data), int64(len(c.data)))
			if err != nil || tr.Codec != tc.codec || !bytes.Equal(tr.Config, c.track.Config) || moovEnd != int64(len(c.data)) {
				t.Errorf("ReadInit: got %s end %d err %v, want %s end %d", tr.Codec, moovEnd, err, tc.codec, len(c.data))
			}
		})
	}
}

func TestFragmentedClip(t *testing.T) {
	for _, name := range clipNames {
		t.Run(name, func(t *testing.T) {
			c := loadClip(t, name)
			file := c.segment(t, c.gops(), 1)

			tr, end, err := ReadInit(bytes.NewReader(file), int64(len(file)))
			if err != nil {
				t.Fatalf("ReadInit: %v", err)
			}
			if tr.Codec != c.track.Codec || tr.Width != 640 || tr.Height != 360 || tr.Timescale != c.track.Timescale ||
				!bytes.Equal(tr.Config, c.track.Config) {
				t.Errorf("ReadInit: got %+v, want %+v", tr, c.track)
			}
			var init bytes.Buffer
			n, _ := WriteInit(&init, c.track)
			if end != n || !bytes.Equal(file[:end], init.Bytes()) {
				t.Errorf("ReadInit end: got %d, want %d", end, n)
			}
			if tr, refs, err := ReadProgressive(bytes.NewReader(file), int64(len(file))); err != nil || len(refs) != 0 || tr.Codec != c.track.Codec {
				t.Errorf("ReadProgressive of a fragmented file: got %s, %d samples, %v, want %s, 0, nil", tr.Codec, len(refs), err, c.track.Codec)
			}
			if !bytes.HasPrefix(file[4:], []byte("ftypiso5")) {
				t.Errorf("ftyp: got %q, want major brand iso5", file[4:12])
			}

			path := writeTemp(t, name+"-frag.mp4", file)
			ffmpegDecodes(t, path)
			p := ffprobe(t, path)
			wantCodec := map[string]string{"h264": "h264", "h265": "hevc"}[name]
			if p.Codec != wantCodec || p.Frames != 250 || p.Width != 640 || p.Height != 360 {
				t.Errorf("ffprobe: got %+v, want %s 250 frames 640x360", p, wantCodec)
			}
		})
	}
}

func TestScanFragments(t *testing.T) {
	c := loadClip(t, "h264")
	gops := c.gops()
	file := c.segment(t, gops, 7)
	_, initEnd, err := ReadInit(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	frags, validEnd, err := ScanFragments(bytes.NewReader(file), initEnd, int64(len(file)))
	if err != nil || len(frags) != 5 || validEnd != int64(len(file)) {
		t.Fatalf("ScanFragments: got %d fragments, end %d, err %v, want 5, %d, nil", len(frags), validEnd, err, len(file))
	}
	off := initEnd
	for i, f := range frags {
		g := gops[i]
		if f.Offset != off || f.Sequence != uint32(7+i) || f.BaseDecodeTime != g[0].DecodeTime || len(f.Samples) != len(g) {
			t.Fatalf("fragment %d: got offset %d seq %d base %d with %d samples, want %d %d %d %d",
				i, f.Offset, f.Sequence, f.BaseDecodeTime, len(f.Samples), off, 7+i, g[0].DecodeTime, len(g))
		}
		pos := f.DataOffset
		for j, s := range f.Samples {
			if s != g[j].Sample {
				t.Errorf("fragment %d sample %d: got %+v, want %+v", i, j, s, g[j].Sample)
			}
			if !bytes.Equal(file[pos:pos+int64(s.Size)], c.bytesOf(g[j])) {
				t.Errorf("fragment %d sample %d: bytes differ from the clip's", i, j)
			}
			pos += int64(s.Size)
		}
		if pos != f.Offset+f.Size {
			t.Errorf("fragment %d: got samples ending at %d, want the fragment's end %d", i, pos, f.Offset+f.Size)
		}
		one, err := ReadFragment(bytes.NewReader(file), f.Offset, int64(len(file)))
		if err != nil || one.Size != f.Size || one.DataOffset != f.DataOffset || len(one.Samples) != len(f.Samples) {
			t.Errorf("ReadFragment %d: got size %d data %d err %v, want %d %d", i, one.Size, one.DataOffset, err, f.Size, f.DataOffset)
		}
		off += f.Size
	}

	end4 := frags[3].Offset + frags[3].Size
	last := frags[4]
	garbage := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 100)
	fakeMoof := []byte{0x7f, 0xff, 0xff, 0xff, 'm', 'o', 'o', 'f', 0, 0, 0, 0}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name      string
		data      []byte
		wantFrags int
		wantEnd   int64
	}{
		{"mid mdat", file[:last.Offset+last.Size/2], 4, end4},
		{"mid moof", file[:last.Offset+20], 4, end4},
		{"mdat header only", file[:last.DataOffset], 4, end4},
		{"one byte short", file[:len(file)-1], 4, end4},
		{"at boundary", file[:end4], 4, end4},
		{"whole then garbage", cat(file, garbage), 5, int64(len(file))},
		{"whole then huge moof", cat(file, fakeMoof), 5, int64(len(file))},
		{"truncated then garbage", cat(file[:last.Offset+last.Size/2], garbage), 4, end4},
		{"init only", file[:initEnd], 0, initEnd},
		{"free box between", cat(file[:end4], []byte{0, 0, 0, 8, 'f', 'r', 'e', 'e'}, file[end4:]), 5, int64(len(file)) + 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frags, end, err := ScanFragments(bytes.NewReader(tc.data), initEnd, int64(len(tc.data)))
			if err != nil || len(frags) != tc.wantFrags || end != tc.wantEnd {
				t.Errorf("got %d fragments, end %d, err %v; want %d, %d, nil", len(frags), end, err, tc.wantFrags, tc.wantEnd)
			}
		})
	}

	t.Run("incomplete fragment", func(t *testing.T) {
		short := file[:last.Offset+last.Size-1]
		if _, err := ReadFragment(bytes.NewReader(short), last.Offset, int64(len(short))); err == nil {
			t.Errorf("ReadFragment of a truncated fragment: got nil error, want one")
		}
	})
	t.Run("bad from", func(t *testing.T) {
		if _, _, err := ScanFragments(bytes.NewReader(file), int64(len(file))+1, int64(len(file))); err == nil {
			t.Errorf("ScanFragments from past the end: got nil error, want one")
		}
	})
	t.Run("read failure", func(t *testing.T) {
		r := failingReader{data: file, failAt: frags[2].Offset}
		if _, _, err := ScanFragments(r, initEnd, int64(len(file))); err == nil {
			t.Errorf("ScanFragments over a failing reader: got nil error, want one")
		}
	})
}

// failingReader fails every read reaching failAt.
type failingReader struct {
	data   []byte
	failAt int64
}

func (r failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.failAt {
		return 0, os.ErrPermission
	}
	return bytes.NewReader(r.data).ReadAt(p, off)
}

func TestAppendFragment(t *testing.T) {
	samples := []Sample{
		{Duration: 3600, CompositionOffset: 7200, Size: 10, Keyframe: true},
		{Duration: 3600, CompositionOffset: -3600, Size: 20},
	}
	prefix := []byte("keep")
	b := AppendFragment(prefix, 9, 1<<40, samples)
	if !bytes.Equal(b[:4], prefix) {
		t.Fatalf("prefix: got %q, want %q", b[:4], prefix)
	}
	frag := b[4:]
	// Follow the header with the payload, as a caller does.
	file := append(append([]byte(nil), frag...), make([]byte, 30)...)
	f, err := ReadFragment(bytes.NewReader(file), 0, int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Sequence != 9 || f.BaseDecodeTime != 1<<40 || f.DataOffset != int64(len(frag)) || f.Size != int64(len(file)) {
		t.Errorf("got seq %d base %d data %d size %d, want 9 %d %d %d", f.Sequence, f.BaseDecodeTime, f.DataOffset, f.Size, uint64(1)<<40, len(frag), len(file))
	}
	for i := range samples {
		if f.Samples[i] != samples[i] {
			t.Errorf("sample %d: got %+v, want %+v", i, f.Samples[i], samples[i])
		}
	}
	// Flags as ISO/IEC 14496-12 8.8.3.1 lays them out.
	trun := bytes.Index(frag, []byte("trun"))
	for i, want := range []uint32{0x02000000, 0x01010000} {
		if got := binary.BigEndian.Uint32(frag[trun+16+16*i+8:]); got != want {
			t.Errorf("sample %d flags: got %#x, want %#x", i, got, want)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { b = AppendFragment(b[:0], 1, 0, samples) }); allocs != 0 {
		t.Errorf("AppendFragment into a reused buffer: got %v allocations, want 0", allocs)
	}
}

func TestWriteInitErrors(t *testing.T) {
	good := Track{Codec: "avc1", Config: []byte{1, 2, 3}, Width: 640, Height: 360, Timescale: 90000}
	tests := []struct {
		name string
		edit func(*Track)
	}{
		{"codec", func(t *Track) { t.Codec = "mp4v" }},
		{"no config", func(t *Track) { t.Config = nil }},
		{"zero width", func(t *Track) { t.Width = 0 }},
		{"huge height", func(t *Track) { t.Height = 70000 }},
		{"timescale", func(t *Track) { t.Timescale = 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := good
			tc.edit(&tr)
			var buf bytes.Buffer
			if _, err := WriteInit(&buf, tr); err == nil || buf.Len() != 0 {
				t.Errorf("got err %v and %d bytes, want an error and nothing written", err, buf.Len())
			}
		})
	}
	var buf bytes.Buffer
	if n, err := WriteInit(&buf, good); err != nil || n != int64(buf.Len()) {
		t.Errorf("good track: got %d, %v, want %d, nil", n, err, buf.Len())
	}
}

func TestReadErrors(t *testing.T) {
	var init bytes.Buffer
	if _, err := WriteInit(&init, testTrack); err != nil {
		t.Fatal(err)
	}
	good := init.Bytes()
	moov := bytes.Index(good, []byte("moov")) - 4
	patch := func(at int, b ...byte) []byte {
		c := append([]byte(nil), good...)
		copy(c[at:], b)
		return c
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"ftyp only", good[:moov]},
		{"moov cut short", good[:len(good)-1]},
		{"moov larger than the file", patch(moov, 0x7f, 0xff, 0xff, 0xff)},
		{"moov size below its header", patch(moov, 0, 0, 0, 4)},
		{"64-bit moov size past the end", patch(moov, 0, 0, 0, 1)},
		{"moof before moov", patch(moov+4, 'm', 'o', 'o', 'f')},
		{"unsupported codec", bytes.Replace(good, []byte("avc1"), []byte("mp4v"), -1)},
		{"no video track", bytes.Replace(good, []byte("vide"), []byte("soun"), 1)},
		{"missing avcC", bytes.Replace(good, []byte("avcC"), []byte("xxxx"), 1)},
		{"zero timescale", bytes.Replace(good, []byte{0, 1, 0x5f, 0x90}, []byte{0, 0, 0, 0}, -1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, n := bytes.NewReader(tc.data), int64(len(tc.data))
			if tr, _, err := ReadInit(r, n); err == nil {
				t.Errorf("ReadInit: got %+v, want an error", tr)
			}
			if tr, _, err := ReadProgressive(r, n); err == nil {
				t.Errorf("ReadProgressive: got %+v, want an error", tr)
			}
		})
	}
	if tr, _, err := ReadInit(bytes.NewReader(good), int64(len(good))); err != nil || tr.Codec != "avc1" {
		t.Errorf("unpatched init: got %+v, %v, want avc1 and no error", tr, err)
	}
}
