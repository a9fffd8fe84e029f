package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestRecorderErrorClassified: the recorder's write failure, caused for
// real by a file where the camera's day folder must go, shows everyone
// who sees the camera its kind ("storage error"), and only those who
// manage the camera the failure itself, which names the server's
// folders; nor does the gap it leaves on the timeline quote it.
func TestRecorderErrorClassified(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("sqlite", func(t *testing.T) { testRecorderErrorClassified(t, false) })
	if testkit.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { testRecorderErrorClassified(t, true) })
	}
}

type recordingStatus struct {
	Recording *struct {
		WriteErrors     int64  `json:"write_errors"`
		LastError       string `json:"last_error"`
		LastErrorDetail string `json:"last_error_detail"`
	}
}

func testRecorderErrorClassified(t *testing.T, postgres bool) {
	h := start(t, harnessOptions{postgres: postgres})
	id := h.addCamera("Disk trouble", h.cams.URL(1), nil)
	h.awaitFootage(id, time.Second, 30*time.Second)

	// The camera's folder for today becomes a file: the next segment
	// cannot be made, until the folder is back.
	camDir := filepath.Join(h.root, fmt.Sprint(id))
	day := filepath.Join(camDir, time.Now().UTC().Format("2006-01-02"))
	aside := filepath.Join(camDir, "aside")
	mustDo(t, os.Rename(day, aside))
	mustDo(t, os.WriteFile(day, []byte("not a folder"), 0o640))

	get := func(u *harness) (recordingStatus, string) {
		t.Helper()
		res, b := u.do("GET", fmt.Sprintf("/api/v1/cameras/%d", id), nil, nil)
		var st recordingStatus
		if err := json.Unmarshal(b, &st); res.StatusCode != 200 || err != nil {
			t.Fatalf("GET camera %d: got %d %s", id, res.StatusCode, b)
		}
		return st, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	var manager recordingStatus
	var body string
	for {
		if manager, body = get(h); manager.Recording != nil && manager.Recording.WriteErrors > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write error within 30 s of the day folder becoming a file: %s", body)
		}
		time.Sleep(200 * time.Millisecond) // polling: the API has no event to await
	}
	// Put it back: the folder's footage plays, and recording goes on.
	mustDo(t, os.Remove(day))
	if err := os.Rename(aside, day); err != nil {
		// The recorder made the folder anew in between: move the
		// files into it.
		files, rerr := os.ReadDir(aside)
		mustDo(t, rerr)
		for _, f := range files {
			mustDo(t, os.Rename(filepath.Join(aside, f.Name()), filepath.Join(day, f.Name())))
		}
	}

	// The harness's user manages the camera: the class and the failure.
	if manager.Recording.LastError != "storage error" || !strings.Contains(manager.Recording.LastErrorDetail, day) {
		t.Errorf("as the camera's manager: got %s, want recording.last_error \"storage error\" and the folder in last_error_detail", body)
	}
	op := h.as(h.newUser("watcher"))
	operator, body := get(op)
	if operator.Recording == nil || operator.Recording.LastError != "storage error" || operator.Recording.LastErrorDetail != "" {
		t.Errorf("as an operator: got %s, want recording.last_error \"storage error\" and no detail", body)
	}
	if strings.Contains(body, h.root) {
		t.Errorf("as an operator: got %s, want no path of the server", body)
	}
	if _, list := op.do("GET", "/api/v1/cameras", nil, nil); strings.Contains(string(list), h.root) {
		t.Errorf("the operator's camera list: got %s, want no path of the server", list)
	}

	// The gap the failure left, once recording resumed: its kind, on
	// the timeline of everyone who plays the camera back.
	deadline = time.Now().Add(30 * time.Second)
	for {
		h.app.Flush(t.Context())
		r := op.recordings(id)
		reasons := []string{}
		for _, g := range r.Gaps {
			reasons = append(reasons, g.Reason)
		}
		if slices.ContainsFunc(reasons, func(s string) bool { return strings.Contains(s, h.root) || strings.Contains(s, "not a directory") }) {
			t.Fatalf("the operator's timeline: got gaps %q, want no path of the server nor the raw failure", reasons)
		}
		if slices.Contains(reasons, "not recording: storage error") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the operator's timeline 30 s after the folder came back: got gaps %q, want one \"not recording: storage error\"", reasons)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
