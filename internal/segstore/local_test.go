package segstore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// mib is a mebibyte: TestPlace's figures are in it.
const mib = 1 << 20

// fakeFree reports the free space set for each folder's path.
type fakeFree map[string]int64

func (f fakeFree) space(path string) (int64, error) {
	n, ok := f[path]
	if !ok {
		return 0, syscall.ENOENT
	}
	return n, nil
}

func twoFolders(t *testing.T, freeA, freeB int64) (*Local, fakeFree, *time.Time) {
	t.Helper()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	free := fakeFree{a: freeA, b: freeB}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l, err := NewLocal([]Folder{{Name: "a", Path: a, Headroom: 100 * mib}, {Name: "b", Path: b, Headroom: 100 * mib}},
		LocalOptions{FreeSpace: free.space, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return l, free, &now
}

// TestPlace: the rule for a new segment's folder, case by case.
func TestPlace(t *testing.T) {
	for _, tc := range []struct {
		name         string
		freeA, freeB int64
		openA, openB int // segments being written to each
		failA        bool
		prev         string
		want         string
		wantErr      error
	}{
		{"the most free space", 1000, 2000, 0, 0, false, "", "b", nil},
		{"the most free space, first folder", 3000, 2000, 0, 0, false, "", "a", nil},
		{"the previous folder while it has room", 1000, 9000, 0, 0, false, "a", "a", nil},
		{"the previous folder short of room: another", 50, 9000, 0, 0, false, "a", "b", nil},
		{"free space per segment being written", 3000, 2000, 2, 0, false, "", "b", nil},
		{"a folder under its headroom is passed over", 99, 101, 0, 0, false, "", "b", nil},
		{"a failing folder is passed over", 9000, 1000, 0, 0, true, "a", "b", nil},
		{"a failing folder when the other is short of room", 9000, 10, 0, 0, true, "", "a", nil},
		{"both short of room: the one with more", 10, 20, 0, 0, false, "a", "b", nil},
		{"one full, one short of room", 0, 20, 0, 0, false, "", "b", nil},
		{"a previous folder no longer configured", 1000, 2000, 0, 0, false, "gone", "b", nil},
		{"all full", 0, 0, 0, 0, false, "", "", ErrNoRoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _, _ := twoFolders(t, tc.freeA*mib, tc.freeB*mib)
			var ws []Writer
			for i := range tc.openA + tc.openB {
				folder := "a"
				if i >= tc.openA {
					folder = "b"
				}
				w, err := l.Create(Ref{folder, filepath.Join("1", "x"+string(rune('a'+i))+".mp4")}, []byte("init"))
				if err != nil {
					t.Fatal(err)
				}
				ws = append(ws, w)
			}
			if tc.failA {
				l.failed(l.byName["a"], syscall.EIO)
			}
			got, err := l.Place(tc.prev)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Errorf("got %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			for _, w := range ws {
				w.Close()
			}
		})
	}
}

// TestPlaceAllFullSaysWhy: with every folder full, the error names each
// and its free space, and Place takes a folder again once one has room.
func TestPlaceAllFullSaysWhy(t *testing.T) {
	l, free, now := twoFolders(t, 10, MinRoom-1)
	_, err := l.Place("")
	if !errors.Is(err, ErrNoRoom) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v, want ErrNoRoom, which is ENOSPC too", err)
	}
	var fe *FolderError
	if !errors.As(err, &fe) || fe.Folder != "a" {
		t.Errorf("got %v, want it to name folder a's state", err)
	}
	free[l.byName["b"].Path] = MinRoom
	*now = now.Add(freeCacheFor)
	if got, err := l.Place(""); err != nil || got != "b" {
		t.Errorf("got %q, %v once b has room; want b", got, err)
	}
}

// TestSpreadOverFolders: cameras starting together alternate between
// folders of the same free space, and each keeps its folder after.
func TestSpreadOverFolders(t *testing.T) {
	l, _, _ := twoFolders(t, 1<<30, 1<<30)
	count := map[string]int{}
	var ws []Writer
	folderOf := map[int]string{}
	for cam := range 10 {
		f, err := l.Place("")
		if err != nil {
			t.Fatal(err)
		}
		w, err := l.Create(Ref{f, filepath.Join(string(rune('0'+cam)), "s.mp4")}, []byte("init"))
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
		folderOf[cam] = f
		count[f]++
	}
	if count["a"] != 5 || count["b"] != 5 {
		t.Errorf("got %v segments per folder, want 5 in each", count)
	}
	for cam, f := range folderOf {
		if got, _ := l.Place(f); got != f {
			t.Errorf("camera %d: got %q for its next segment, want its folder %q", cam, got, f)
		}
	}
	for _, w := range ws {
		w.Close()
	}
	if l.byName["a"].open != 0 || l.byName["b"].open != 0 {
		t.Errorf("got %d and %d open after closing all, want 0", l.byName["a"].open, l.byName["b"].open)
	}
}

// TestLocalFiles: create, append (vectored), read at an offset, truncate,
// list and remove, on the disk.
func TestLocalFiles(t *testing.T) {
	l, _, _ := twoFolders(t, 1<<30, 1<<30)
	ref := Ref{"b", filepath.Join("7", "2026-12-07", "100000.000.mp4")}
	w, err := l.Create(ref, []byte("head"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Create(ref, nil); !errors.Is(err, fs.ErrExist) {
		t.Errorf("creating it again: got %v, want fs.ErrExist", err)
	}
	// More buffers than one writev takes, some empty.
	var bufs [][]byte
	var want []byte
	want = append(want, "head"...)
	for i := range iovMax + 10 {
		b := []byte{byte(i), byte(i >> 8)}
		if i%7 == 0 {
			b = nil
		}
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	if err := w.Append(bufs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := l.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(want)) {
		t.Errorf("got size %d, want %d", r.Size(), len(want))
	}
	got := make([]byte, 6)
	if _, err := r.ReadAt(got, 2); err != nil || string(got) != string(want[2:8]) {
		t.Errorf("ReadAt 2: got %q, %v; want %q", got, err, want[2:8])
	}
	r.Close()
	if err := l.Truncate(ref, 4); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(l.byName["b"].Path, ref.Path)); string(b) != "head" {
		t.Errorf("after Truncate got %q, want %q", b, "head")
	}
	var listed []string
	if err := l.List(t.Context(), "b", func(p string) error { listed = append(listed, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(listed, []string{ref.Path}) {
		t.Errorf("List b: got %q, want %q", listed, ref.Path)
	}
	if err := l.List(t.Context(), "a", func(p string) error { t.Errorf("listed %q in an empty folder", p); return nil }); err != nil {
		t.Errorf("List of a folder not made yet: %v", err)
	}
	if err := l.Remove(ref); err != nil {
		t.Fatal(err)
	}
	if err := l.Remove(ref); err != nil {
		t.Errorf("removing it again: got %v, want nil", err)
	}
	if _, err := l.Open(ref); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Remove: got %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Join(l.byName["b"].Path, "7", "2026-12-07")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the empty day folder: got %v, want it removed", err)
	}
}

// TestLocalRefusesBadRefs: a path out of its folder, or an unknown folder.
func TestLocalRefusesBadRefs(t *testing.T) {
	l, _, _ := twoFolders(t, 1<<30, 1<<30)
	for _, tc := range []struct {
		ref  Ref
		want error
	}{
		{Ref{"a", "../b/x.mp4"}, ErrBadPath},
		{Ref{"a", "/etc/passwd"}, ErrBadPath},
		{Ref{"c", "x.mp4"}, ErrUnknownFolder},
	} {
		if _, err := l.Open(tc.ref); !errors.Is(err, tc.want) {
			t.Errorf("Open %v: got %v, want %v", tc.ref, err, tc.want)
		}
		if err := l.Remove(tc.ref); !errors.Is(err, tc.want) {
			t.Errorf("Remove %v: got %v, want %v", tc.ref, err, tc.want)
		}
		if _, err := l.Create(tc.ref, nil); !errors.Is(err, tc.want) {
			t.Errorf("Create %v: got %v, want %v", tc.ref, err, tc.want)
		}
	}
}

// TestFailedWriteMarksFolder: a write that fails passes the folder over.
func TestFailedWriteMarksFolder(t *testing.T) {
	l, _, now := twoFolders(t, 9000*mib, 1000*mib)
	ref := Ref{"a", "1/x.mp4"}
	w, err := l.Create(ref, []byte("init"))
	if err != nil {
		t.Fatal(err)
	}
	w.(*localWriter).file.Close() // the next write fails
	if err := w.Append([][]byte{[]byte("frag")}); err == nil {
		t.Fatal("got no error appending to a closed file, want one")
	}
	if got, _ := l.Place("a"); got != "b" {
		t.Errorf("got %q after a's write failed, want b", got)
	}
	*now = now.Add(FailureCooldown)
	if got, _ := l.Place("a"); got != "a" {
		t.Errorf("got %q once the cool-down passed, want a", got)
	}
}

// TestAppendTruncateAppend: appends after a cut continue where the cut
// left the segment, not after a hole.
func TestAppendTruncateAppend(t *testing.T) {
	l, _, _ := twoFolders(t, 1<<30, 1<<30)
	ref := Ref{"a", "1/s.mp4"}
	w, err := l.Create(ref, []byte("init"))
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 3*4096+5)
	for i := range big {
		big[i] = byte(i)
	}
	want := append([]byte("init"), big...)
	for range 3 {
		if err := w.Append([][]byte{big[:10], big[10:]}); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, big...)
	want = append(want, big...)
	cut := int64(len(want))
	if err := w.Append([][]byte{[]byte("half a fragment")}); err != nil {
		t.Fatal(err)
	}
	if err := w.Truncate(cut); err != nil {
		t.Fatal(err)
	}
	if err := w.Append([][]byte{[]byte("next")}); err != nil {
		t.Fatal(err)
	}
	want = append(want, "next"...)
	w.Close()
	got, err := os.ReadFile(filepath.Join(l.byName["a"].Path, ref.Path))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("got %d bytes, want %d, the same", len(got), len(want))
	}
}
