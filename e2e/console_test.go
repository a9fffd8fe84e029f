package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// The burnt-in clock's crop, as console.mjs takes it: x, y, width, height
// in the camera's pixels, then halved.
const cropX, cropY, cropW, cropH = 24, 8, 392, 40

// demo is a running `vigil demo`.
type demo struct {
	base, dir, rtsp string
	// username and password are the account the console tests sign in
	// with: the demo's CCTV manager, who sees every camera.
	username, password string
	// accounts are the demo's accounts and the passwords it printed.
	accounts map[string]string
	token    string
	log      *syncBuffer
}

// syncBuffer is a process's output, readable while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoAccounts reads the accounts the demo printed at its first run:
// lines of username, password and what the account is for.
func demoAccounts(out string) map[string]string {
	accounts := map[string]string{}
	_, list, ok := strings.Cut(out, "The demo's accounts")
	if !ok {
		return accounts
	}
	for _, line := range strings.Split(list, "\n")[1:] {
		if !strings.HasPrefix(line, "    ") {
			if len(accounts) > 0 {
				break
			}
			continue
		}
		if f := strings.Fields(line); len(f) >= 2 {
			accounts[f[0]] = f[1]
		}
	}
	return accounts
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startDemo runs the real `vigil demo` (this test binary standing in for
// vigil) and waits until it answers.
func startDemo(t testing.TB, cameras, bitrate int) *demo {
	admin := auth.RandomPassword()
	d := &demo{dir: t.TempDir(), log: &syncBuffer{}}
	httpAddr, rtspAddr := freeAddr(t), freeAddr(t)
	d.base, d.rtsp = "http://"+httpAddr, "rtsp://"+rtspAddr
	cmd := exec.Command(os.Args[0], "demo", "--data", filepath.Join(d.dir, "data"), "--http", httpAddr, "--rtsp", rtspAddr,
		"--cameras", strconv.Itoa(cameras), "--bitrate", strconv.Itoa(bitrate))
	cmd.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1", "VIGIL_ADMIN_PASSWORD="+admin, "VIGIL_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = d.log, d.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("vigil demo's output:\n%s", d.log)
		}
	})
	await(t, 60*time.Second, "the demo's health check", func() bool {
		res, err := http.Get(d.base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	// The accounts are printed before the server answers.
	d.accounts = demoAccounts(d.log.String())
	d.accounts["admin"] = admin
	if m := operatorPasswordRE.FindStringSubmatch(d.log.String()); m != nil {
		d.accounts["operator"] = m[1]
	}
	d.username, d.password = "manager", d.accounts["manager"]
	if d.password == "" {
		t.Fatalf("the demo printed no password for its manager:\n%s", d.log)
	}
	tc := exec.Command(os.Args[0], "token", "create", "--data", filepath.Join(d.dir, "data"), "--user", d.username,
		"--without-second-factor") // the tests are a program: they give no TOTP code
	tc.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1")
	tok, err := tc.Output()
	if err != nil {
		t.Fatalf("vigil token create: %v", err)
	}
	d.token = strings.TrimSpace(string(tok))
	return d
}

// await polls cond until it holds; the demo's state is observed, not
// guessed with sleeps.
func await(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (d *demo) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", d.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %s %s", path, res.Status, b)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// cameraOf is the id of one of the demo's cameras belonging to the
// organisation named org.
func (d *demo) cameraOf(t testing.TB, org string) int64 {
	t.Helper()
	var cams []struct {
		ID           int64
		Organisation string
	}
	d.getJSON(t, "/api/v1/cameras", &cams)
	for _, c := range cams {
		if c.Organisation == org {
			return c.ID
		}
	}
	t.Fatalf("the demo's cameras %+v: want one of %s's", cams, org)
	return 0
}

// recorded is camera id's newest run of footage.
func (d *demo) recorded(t testing.TB, id int) (time.Time, time.Time) {
	var rec struct {
		Spans []struct{ Start, End time.Time } `json:"spans"`
	}
	d.getJSON(t, fmt.Sprintf("/api/v1/cameras/%d/recordings", id), &rec)
	if len(rec.Spans) == 0 {
		return time.Time{}, time.Time{}
	}
	s := rec.Spans[len(rec.Spans)-1]
	return s.Start, s.End
}

// clockReader reads the frame number burnt into the simulated cameras'
// picture, by matching a crop against every frame of the clip as ffmpeg
// decodes it.
type clockReader struct {
	refs [][]float64
	clip *simcam.Clip
}

func newClockReader(t testing.TB) *clockReader {
	ffmpeg := testkit.NeedTool(t, "ffmpeg")
	clip, err := simcam.LoadClip(codec.H264)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := exec.Command(ffmpeg, "-v", "error", "-i", testkit.Clip("h264"), "-vf",
		fmt.Sprintf("crop=%d:%d:%d:%d,format=rgb24", cropW, cropH, cropX, cropY), "-f", "rawvideo", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg decoding the clip: %v", err)
	}
	size := cropW * cropH * 3
	if len(raw) != size*len(clip.Units) {
		t.Fatalf("ffmpeg decoded %d bytes, want %d frames of %d", len(raw), len(clip.Units), size)
	}
	r := &clockReader{clip: clip}
	for i := range clip.Units {
		r.refs = append(r.refs, normalise(halveRGB(raw[i*size:(i+1)*size])))
	}
	return r
}

// halveRGB turns an RGB crop into grey at half size, as console.mjs does.
func halveRGB(rgb []byte) []byte {
	w, h := cropW/2, cropH/2
	out := make([]byte, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				i := ((2*y+d[1])*cropW + 2*x + d[0]) * 3
				s += 0.299*float64(rgb[i]) + 0.587*float64(rgb[i+1]) + 0.114*float64(rgb[i+2])
			}
			out[y*w+x] = byte(math.Round(s / 4))
		}
	}
	return out
}

// normalise makes a crop zero-mean and unit-length, so that colour range
// differences between decoders do not matter to the match.
func normalise(b []byte) []float64 {
	var mean float64
	for _, v := range b {
		mean += float64(v)
	}
	mean /= float64(len(b))
	out := make([]float64, len(b))
	var norm float64
	for i, v := range b {
		out[i] = float64(v) - mean
		norm += out[i] * out[i]
	}
	norm = math.Sqrt(norm)
	if norm == 0 {
		norm = 1
	}
	for i := range out {
		out[i] /= norm
	}
	return out
}

// read returns the clip frame a crop shows and how well it matched (1 is
// perfect); a match under 0.8 is no reading.
func (r *clockReader) read(t testing.TB, b64 string) (int, float64) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != cropW/2*cropH/2 {
		t.Fatalf("crop of %d bytes (%v), want %d", len(b), err, cropW/2*cropH/2)
	}
	v := normalise(b)
	best, score := -1, -2.0
	for i, ref := range r.refs {
		var dot float64
		for j := range v {
			dot += v[j] * ref[j]
		}
		if dot > score {
			best, score = i, dot
		}
	}
	return best, score
}

// readFile reads the clock in the frame of an MP4 at offset seconds, as
// ffmpeg decodes it.
func (r *clockReader) readFile(t testing.TB, file string, offset float64) (int, float64) {
	raw, err := exec.Command("ffmpeg", "-v", "error", "-ss", strconv.FormatFloat(offset, 'f', 3, 64), "-i", file, "-frames:v", "1", "-vf",
		fmt.Sprintf("crop=%d:%d:%d:%d,format=rgb24", cropW, cropH, cropX, cropY), "-f", "rawvideo", "pipe:1").Output()
	if err != nil || len(raw) != cropW*cropH*3 {
		t.Fatalf("ffmpeg reading %s at %.3f s: %v (%d bytes)", file, offset, err, len(raw))
	}
	return r.read(t, base64.StdEncoding.EncodeToString(halveRGB(raw)))
}

// browserRun runs console.mjs and returns its report.
func browserRun(t testing.TB, cfg map[string]any) map[string]json.RawMessage {
	t.Helper()
	return browserScript(t, "console.mjs", cfg)
}

// browserScript runs one of this folder's browser scripts and returns its
// report: the last line of JSON it prints.
func browserScript(t testing.TB, script string, cfg map[string]any) map[string]json.RawMessage {
	t.Helper()
	node := testkit.NeedTool(t, "node")
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	testkit.NeedFile(t, filepath.Join("node_modules", "playwright-core", "package.json"), "playwright-core (npm ci in e2e/)")
	b, _ := json.Marshal(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, string(b))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	var last string
	sc := bufio.NewScanner(bytes.NewReader(outb))
	sc.Buffer(make([]byte, 64<<20), 64<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "{") {
			last = sc.Text()
		}
	}
	var res map[string]json.RawMessage
	if jerr := json.Unmarshal([]byte(last), &res); jerr != nil {
		t.Fatalf("%s: %v, no report (%v); stderr:\n%s", script, err, jerr, stderr.String())
	}
	if string(res["ok"]) != "true" {
		t.Fatalf("%s failed at step %s: %s\npage errors: %s\nstderr: %s", script, res["step"], res["error"], res["pageErrors"], stderr.String())
	}
	if pe := string(res["pageErrors"]); pe != "[]" && pe != "" {
		t.Errorf("the console's pages threw: %s", pe)
	}
	return res
}

func field[T any](t testing.TB, res map[string]json.RawMessage, name string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res[name], &v); err != nil {
		t.Fatalf("report field %s: %v (%s)", name, err, res[name])
	}
	return v
}

type sample struct {
	Shown float64 `json:"shown"` // ms since the epoch
	Crop  string  `json:"crop"`
}

type liveReport struct {
	Transport string `json:"transport"`
	First     struct {
		T    float64 `json:"t"`
		At   float64 `json:"at"`
		Crop string  `json:"crop"`
		W    int     `json:"w"`
		H    int     `json:"h"`
	} `json:"first"`
	Second struct {
		T    float64 `json:"t"`
		Crop string  `json:"crop"`
	} `json:"second"`
	Samples []sample `json:"samples"`
}

// latencies reads each sampled frame's clock and returns how long after
// the camera sent it the browser showed it.
func (r *clockReader) latencies(t testing.TB, camera int, samples []sample) []time.Duration {
	var out []time.Duration
	for _, s := range samples {
		i, score := r.read(t, s.Crop)
		if score < 0.8 {
			t.Errorf("a sampled frame's clock is unreadable (best match %.2f)", score)
			continue
		}
		shown := time.UnixMicro(int64(s.Shown * 1000))
		out = append(out, shown.Sub(r.clip.SentAt(camera, i, shown)))
	}
	slices.Sort(out)
	return out
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(math.Ceil(p*float64(len(d))))-1)]
}

// TestConsole: an operator's session in a real Chromium against `vigil
// demo` with 16 cameras at 4 Mbit/s: sign-in, CSRF, a live tile over
// WebRTC and over the WebSocket fallback, playback from a chosen instant,
// clicks on the timeline, an export, a 16-tile wall, the map, sign-out.
func TestConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("the console test drives a browser for about three minutes")
	}
	testkit.NeedTool(t, "ffprobe")
	clock := newClockReader(t)
	wallSeconds := 60
	if s := os.Getenv("VIGIL_E2E_WALL_SECONDS"); s != "" {
		wallSeconds, _ = strconv.Atoi(s)
	}
	d := startDemo(t, 16, 4_000_000)
	if os.Getenv("VIGIL_E2E_NETNS") == "1" {
		t.Log("running in a network namespace with loopback alone")
	}
	// Footage to play back and export: wait for 45 s of it, so that
	// every click of the timeline (a minute across, centred 15 s before
	// the newest footage; clicks from 24 to 3 s before its centre) lands
	// on footage: one inside a gap rightly shows no picture.
	var start, end time.Time
	await(t, 120*time.Second, "45 s of camera 1's footage", func() bool {
		start, end = d.recorded(t, 1)
		return end.Sub(start) >= 45*time.Second
	})
	transports := []string{"webrtc", "websocket"}
	if s := os.Getenv("VIGIL_E2E_TRANSPORTS"); s != "" {
		transports = strings.Split(s, ",")
	}
	dir := t.TempDir()
	shots := os.Getenv("VIGIL_E2E_SCREENSHOTS")
	if shots != "" && !filepath.IsAbs(shots) {
		// Relative to the repository, not to this package's folder.
		shots, _ = filepath.Abs(filepath.Join("..", shots))
	}
	cfg := map[string]any{
		"base": d.base, "username": d.username, "password": d.password, "dir": dir, "screenshots": shots,
		"transports":    transports,
		"latencyMillis": 8000,
		"playbackAt":    end.Add(-15 * time.Second).UnixMilli(),
		"exportFrom":    start.Add(3 * time.Second).UnixMilli(),
		"exportTo":      start.Add(15 * time.Second).UnixMilli(),
		"clicks":        10,
		"wallSeconds":   wallSeconds,
	}
	res := browserRun(t, cfg)

	t.Run("login", func(t *testing.T) {
		l := field[struct {
			RedirectedTo string `json:"redirectedTo"`
			WrongStatus  int    `json:"wrongStatus"`
			WrongMessage string `json:"wrongMessage"`
			SignedIn     string `json:"signedIn"`
		}](t, res, "login")
		if l.RedirectedTo != "/login" {
			t.Errorf("signed out, / went to %q, want /login", l.RedirectedTo)
		}
		if l.WrongStatus != http.StatusUnauthorized || !strings.Contains(l.WrongMessage, "Wrong username or password") {
			t.Errorf("a wrong password got %d %q, want 401 and a clear message", l.WrongStatus, l.WrongMessage)
		}
		if l.SignedIn != d.username {
			t.Errorf("signed in as %q, want %s", l.SignedIn, d.username)
		}
	})
	t.Run("csrf", func(t *testing.T) {
		c := field[struct {
			WithoutToken     int    `json:"withoutToken"`
			WithoutTokenBody string `json:"withoutTokenBody"`
			WithToken        int    `json:"withToken"`
			Deleted          int    `json:"deleted"`
			FormWithoutToken int    `json:"formWithoutToken"`
			FormBody         string `json:"formWithoutTokenBody"`
			StillSignedIn    bool   `json:"stillSignedIn"`
		}](t, res, "csrf")
		if c.WithoutToken != http.StatusForbidden || !strings.Contains(c.WithoutTokenBody, "CSRF") {
			t.Errorf("a script's PUT without the CSRF token got %d %s, want 403 naming CSRF", c.WithoutToken, c.WithoutTokenBody)
		}
		if c.WithToken != http.StatusOK || c.Deleted != http.StatusNoContent {
			t.Errorf("with the token: PUT %d, DELETE %d; want 200, 204", c.WithToken, c.Deleted)
		}
		if c.FormWithoutToken != http.StatusForbidden || !strings.Contains(c.FormBody, "CSRF") || !c.StillSignedIn {
			t.Errorf("a sign-out form without its token got %d %q (still signed in: %v), want 403 naming CSRF, and still signed in", c.FormWithoutToken, c.FormBody, c.StillSignedIn)
		}
	})
	live := field[map[string]liveReport](t, res, "live")
	for _, tr := range transports {
		t.Run("live-"+tr, func(t *testing.T) {
			l, ok := live[tr]
			if !ok {
				t.Fatalf("no live report for %s", tr)
			}
			if l.Transport != tr {
				t.Errorf("the tile played over %q, want %q", l.Transport, tr)
			}
			if l.First.W != 640 || l.First.H != 360 {
				t.Errorf("picture %dx%d, want 640x360", l.First.W, l.First.H)
			}
			if adv := l.Second.T - l.First.T; adv < 0.5 {
				t.Errorf("currentTime advanced %.2f s in a second, want about 1", adv)
			}
			a, sa := clock.read(t, l.First.Crop)
			b, sb := clock.read(t, l.Second.Crop)
			if sa < 0.8 || sb < 0.8 {
				t.Fatalf("burnt-in clock unreadable (matches %.2f, %.2f)", sa, sb)
			}
			n := len(clock.clip.Units)
			if step := (b - a + n) % n; step < 15 || step > 40 {
				t.Errorf("the burnt-in clock went from frame %d to %d a second later (%d frames), want about 25", a, b, step)
			}
			lat := clock.latencies(t, 1, l.Samples)
			if len(lat) < 10 {
				t.Fatalf("only %d readable samples", len(lat))
			}
			p50, p95 := percentile(lat, 0.5), percentile(lat, 0.95)
			t.Logf("glass-to-glass over %s: p50 %v, p95 %v, max %v (%d frames)", tr, p50, p95, lat[len(lat)-1], len(lat))
			if lat[0] <= 0 || p50 > 2*time.Second {
				t.Errorf("glass-to-glass p50 %v (min %v), want positive and at most 2 s", p50, lat[0])
			}
		})
	}
	t.Run("playback-instant", func(t *testing.T) {
		p := field[struct {
			Src         string  `json:"src"`
			WindowStart string  `json:"windowStart"`
			CurrentTime float64 `json:"currentTime"`
			Crop        string  `json:"crop"`
			OtherCrop   string  `json:"otherCrop"`
			Instant     float64 `json:"instant"`
			Status      int     `json:"status"`
			File        string  `json:"file"`
		}](t, res, "playback")
		want := time.UnixMilli(cfg["playbackAt"].(int64))
		if got := time.UnixMicro(int64(p.Instant * 1000)); got.Sub(want).Abs() > time.Millisecond {
			t.Errorf("the page's instant is %v, want %v", got, want)
		}
		shown, score := clock.read(t, p.Crop)
		if score < 0.8 {
			t.Fatalf("burnt-in clock unreadable (%.2f)", score)
		}
		// What ffmpeg decodes at the same place of the same file.
		ref, rscore := clock.readFile(t, p.File, p.CurrentTime)
		if rscore < 0.8 {
			t.Fatalf("burnt-in clock in ffmpeg's frame unreadable (%.2f)", rscore)
		}
		n := len(clock.clip.Units)
		if diff := (shown - ref + n) % n; diff > 1 && diff < n-1 {
			t.Errorf("the browser shows frame %d at %.3f s, ffmpeg decodes frame %d there", shown, p.CurrentTime, ref)
		}
		// And what the camera sent at that instant: recorded times are
		// arrival times, so the frame is the one sent at most a little
		// before (the network and the reader's batching).
		sent := clock.clip.SentAt(1, shown, want.Add(time.Second))
		if off := want.Sub(sent); off < -40*time.Millisecond || off > 250*time.Millisecond {
			t.Errorf("at %v the browser shows frame %d, which the camera sent at %v (%v before), want within 250 ms", want, shown, sent, off)
		}
		t.Logf("playback at %v shows frame %d, sent %v before", want.Format(time.RFC3339Nano), shown, want.Sub(sent))
		// The second camera, played at the same instant, shows its own
		// frame of that instant: the two are in step.
		other, oscore := clock.read(t, p.OtherCrop)
		if oscore < 0.8 {
			t.Fatalf("camera 2's burnt-in clock unreadable (%.2f)", oscore)
		}
		osent := clock.clip.SentAt(2, other, want.Add(time.Second))
		if off := want.Sub(osent); off < -40*time.Millisecond || off > 250*time.Millisecond {
			t.Errorf("at %v camera 2 shows frame %d, which it sent at %v (%v before), want within 250 ms: the cameras are out of step", want, other, osent, off)
		}
	})
	t.Run("click-to-first-frame", func(t *testing.T) {
		ms := field[[]float64](t, res, "clickToFrame")
		if len(ms) != cfg["clicks"].(int) {
			t.Fatalf("got %d clicks timed, want %d", len(ms), cfg["clicks"])
		}
		slices.Sort(ms)
		t.Logf("click to first frame: median %.0f ms, max %.0f ms over %d clicks", ms[len(ms)/2], ms[len(ms)-1], len(ms))
		if ms[len(ms)/2] > 2000 {
			t.Errorf("median click to first frame %.0f ms, want under 2 s", ms[len(ms)/2])
		}
	})
	t.Run("export", func(t *testing.T) {
		e := field[struct {
			File string `json:"file"`
			Name string `json:"name"`
			From string `json:"from"`
			To   string `json:"to"`
		}](t, res, "export")
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", e.File).Output()
		if err != nil {
			t.Fatalf("ffprobe rejects the export %s: %v", e.Name, err)
		}
		dur, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		from, _ := time.Parse(time.RFC3339Nano, e.From)
		to, _ := time.Parse(time.RFC3339Nano, e.To)
		marked := to.Sub(from).Seconds()
		// The file starts at the keyframe at or before the mark (2 s GOP).
		if dur < marked-0.1 || dur > marked+2.1 {
			t.Errorf("the export lasts %.2f s, want the marked %.2f s (plus at most a GOP before)", dur, marked)
		}
		if !strings.HasSuffix(e.Name, ".mp4") {
			t.Errorf("download named %q, want an .mp4", e.Name)
		}
	})
	if wallSeconds > 0 {
		t.Run("wall-16", func(t *testing.T) {
			type tile struct {
				Camera  string  `json:"camera"`
				Live    string  `json:"live"`
				T       float64 `json:"t"`
				Frames  int     `json:"frames"`
				Dropped int     `json:"dropped"`
			}
			samples := field[[][]tile](t, res, "wall")
			if len(samples) < wallSeconds/3 {
				t.Fatalf("got %d samples of the wall, want at least %d", len(samples), wallSeconds/3)
			}
			for i := 1; i < len(samples); i++ {
				if len(samples[i]) != 16 {
					t.Fatalf("sample %d has %d tiles, want 16", i, len(samples[i]))
				}
				for j, tl := range samples[i] {
					prev := samples[i-1][j]
					if tl.T-prev.T < 0.5 || tl.Live != "playing" {
						t.Errorf("tile %d (camera %s) stalled between samples %d and %d: currentTime %.2f → %.2f, state %q", j, tl.Camera, i-1, i, prev.T, tl.T, tl.Live)
					}
				}
			}
			first, last := samples[0], samples[len(samples)-1]
			for j := range last {
				played := last[j].T - first[j].T
				frames := last[j].Frames - first[j].Frames
				if frames < int(played*25*0.8) {
					t.Errorf("tile %d decoded %d frames in %.1f s, want about 25 a second", j, frames, played)
				}
			}
			t.Logf("16 tiles over %.0f s: tile 0 decoded %d frames, dropped %d", last[0].T-first[0].T, last[0].Frames-first[0].Frames, last[0].Dropped-first[0].Dropped)
		})
	}
	t.Run("map", func(t *testing.T) {
		m := field[struct {
			Cameras int    `json:"cameras"`
			Outline int    `json:"outline"`
			Card    string `json:"card"`
		}](t, res, "map")
		if m.Cameras != 16 {
			t.Errorf("the map shows %d cameras, want 16", m.Cameras)
		}
		if m.Card == "" {
			t.Errorf("clicking a camera on the map opened no card")
		}
	})
	t.Run("logout", func(t *testing.T) {
		l := field[struct {
			After     string `json:"after"`
			APIStatus int    `json:"apiStatus"`
		}](t, res, "logout")
		if l.After != "/login" || l.APIStatus != http.StatusUnauthorized {
			t.Errorf("after signing out, / went to %q and the API answered %d; want /login and 401", l.After, l.APIStatus)
		}
	})
}
