package codec

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

var clips = []struct {
	codec Codec
	path  string
	bsf   string
	fmt   string
	box   string
}{
	{H264, "../simcam/clips/h264.mp4", "h264_mp4toannexb", "h264", "avcC"},
	{H265, "../simcam/clips/h265.mp4", "hevc_mp4toannexb", "hevc", "hvcC"},
}

// ffmpegOut runs ffmpeg and returns its standard output.
func ffmpegOut(t *testing.T, args ...string) []byte {
	t.Helper()
	out, _ := ffmpegRun(t, args...)
	return out
}

// ffmpegRun runs ffmpeg and returns its standard output and error.
func ffmpegRun(t *testing.T, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ff := testkit.NeedTool(t, "ffmpeg")
	cmd := exec.Command(ff, append([]string{"-hide_banner", "-v", "error", "-nostdin"}, args...)...)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, errBuf.Bytes())
	}
	return out, errBuf.Bytes()
}

var (
	clipCacheMu sync.Mutex
	clipCache   = map[string][]byte{}
)

// clipNALUs returns a clip's NAL units in decoding order. Several tests
// use each clip; ffmpeg runs once per clip.
func clipNALUs(t *testing.T, path, bsf, format string) [][]byte {
	t.Helper()
	clipCacheMu.Lock()
	out, ok := clipCache[path]
	clipCacheMu.Unlock()
	if !ok {
		out = ffmpegOut(t, "-i", path, "-c", "copy", "-bsf:v", bsf, "-f", format, "-")
		clipCacheMu.Lock()
		clipCache[path] = out
		clipCacheMu.Unlock()
	}
	// A fresh copy, so tests may modify what they get.
	nalus := SplitAnnexB(bytes.Clone(out))
	if len(nalus) == 0 {
		t.Fatalf("no NAL units from %s", path)
	}
	return nalus
}

// isVCL reports whether nalu is a coded slice.
func isVCL(c Codec, nalu []byte) bool {
	t := NALUType(c, nalu)
	if c == H265 {
		return t <= h265TypeVCLLast
	}
	return t >= 1 && t <= 5
}

// groupAccessUnits splits NAL units in decoding order into access units:
// one begins at an access unit delimiter, at a parameter set or prefix SEI
// following a slice, or at a slice that opens a picture after another
// picture's slices (H.264 7.4.1.2.3, H.265 7.4.2.4.4).
func groupAccessUnits(c Codec, nalus [][]byte) [][][]byte {
	var aus [][][]byte
	var cur [][]byte
	hasVCL := false
	for _, u := range nalus {
		t := NALUType(c, u)
		starts := false
		switch {
		case isVCL(c, u):
			hdr := 1
			if c == H265 {
				hdr = 2
			}
			starts = hasVCL && len(u) > hdr && u[hdr]&0x80 != 0
		case c == H264 && (t == h264TypeAUD):
			starts = len(cur) > 0
		case c == H265 && (t == h265TypeAUD):
			starts = len(cur) > 0
		default:
			starts = hasVCL && (IsParameterSet(c, u) || t == h264TypeSEI && c == H264 || t == h265TypePrefixSEI && c == H265)
		}
		if starts {
			aus = append(aus, cur)
			cur, hasVCL = nil, false
		}
		cur = append(cur, u)
		if isVCL(c, u) {
			hasVCL = true
		}
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	return aus
}

// clipBox returns the body of the first box of the given type in an MP4
// file, found by scanning for its fourcc: enough for ffmpeg's clips.
func clipBox(t *testing.T, path, fourcc string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(fourcc))
	if i < 4 {
		t.Fatalf("no %s box in %s", fourcc, path)
	}
	size := int(binary.BigEndian.Uint32(b[i-4:]))
	if size < 8 || i-4+size > len(b) {
		t.Fatalf("%s box size %d out of range", fourcc, size)
	}
	return b[i+4 : i-4+size]
}

// ffprobeInfo returns the width, height and profile ffprobe reports for a
// file.
func ffprobeInfo(t *testing.T, path string) (w, h int, profile string) {
	t.Helper()
	fp := testkit.NeedTool(t, "ffprobe")
	out, err := exec.Command(fp, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,profile", "-of", "default=nw=1", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "width":
			w, _ = strconv.Atoi(v)
		case "height":
			h, _ = strconv.Atoi(v)
		case "profile":
			profile = v
		}
	}
	if w == 0 || h == 0 {
		t.Fatalf("ffprobe %s: no size in %q", path, out)
	}
	return w, h, profile
}

// paramsOf collects the first parameter sets from a list of NAL units.
func paramsOf(c Codec, nalus [][]byte) Params {
	p := Params{Codec: c}
	for _, u := range nalus {
		if IsParameterSet(c, u) && !p.has(u) {
			p.Update(u)
		}
	}
	return p
}
