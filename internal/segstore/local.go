package segstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Folder is one storage folder on a local file system.
type Folder struct {
	Name, Path string
	// Headroom is the free space below which the folder is passed over
	// for new segments while another has more (0: DefaultHeadroom).
	// Retention's free-space floor is a different bound: it deletes old
	// footage to stay above it, and a folder at its floor still takes
	// new segments.
	Headroom int64
}

// DefaultHeadroom is room for a few minutes of a busy camera's segments:
// a folder with less takes new segments only when no folder has more.
const DefaultHeadroom = 64 << 20

// MinRoom is the free space below which a folder is full: not even a
// segment's header and first fragment would fit.
const MinRoom = 1 << 20

// FailureCooldown is how long a folder whose write failed is passed over
// for new segments while another folder has room.
const FailureCooldown = 30 * time.Second

// freeCacheFor is how long Place trusts a folder's free space: a few
// hundred cameras each start a segment a minute, and statfs need not run
// for every one.
const freeCacheFor = time.Second

// LocalOptions configure a Local store.
type LocalOptions struct {
	// FreeSpace reports the free bytes of the file system holding a
	// path (nil: statfs); tests replace it.
	FreeSpace func(path string) (int64, error)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Local keeps segments in folders on local file systems.
//
// Where a new segment goes (Place): among the folders with room (at least
// their Headroom free) whose last write did not fail within
// FailureCooldown, the camera's previous folder if it is one of them, so
// that a camera's consecutive segments stay together; otherwise the one
// with the most free space per segment being written to it, so that
// cameras starting together spread over folders of equal size and a
// bigger or emptier folder takes more of them. Should no folder qualify,
// the one with the most free space that is not full (MinRoom) is tried,
// so a small or nearly full disk is filled to the last fragment that
// fits; should every folder be full, Place fails with ErrNoRoom (which
// is also ENOSPC), naming each folder's free space.
type Local struct {
	folders []*folderState
	byName  map[string]*folderState
	free    func(string) (int64, error)
	now     func() time.Time

	mu sync.Mutex // guards folderState's mutable fields
}

type folderState struct {
	Folder
	open     int // segments open for writing
	failedAt time.Time
	failure  error
	freeAt   time.Time
	free     int64
	freeErr  error
}

// NewLocal makes a store over folders, in configuration order.
func NewLocal(folders []Folder, opt LocalOptions) (*Local, error) {
	l := &Local{byName: map[string]*folderState{}, free: opt.FreeSpace, now: opt.Now}
	if l.free == nil {
		l.free = statfsFree
	}
	if l.now == nil {
		l.now = time.Now
	}
	for _, f := range folders {
		if f.Name == "" || f.Path == "" {
			return nil, errors.New("segstore: a storage folder needs a name and a path")
		}
		if _, dup := l.byName[f.Name]; dup {
			return nil, fmt.Errorf("segstore: storage folder %q named twice", f.Name)
		}
		if f.Headroom <= 0 {
			f.Headroom = DefaultHeadroom
		}
		s := &folderState{Folder: f}
		l.folders = append(l.folders, s)
		l.byName[f.Name] = s
	}
	if len(l.folders) == 0 {
		return nil, errors.New("segstore: no storage folder")
	}
	return l, nil
}

// Folders implements Store.
func (l *Local) Folders() []string {
	out := make([]string, len(l.folders))
	for i, f := range l.folders {
		out[i] = f.Name
	}
	return out
}

// Place implements Store; Local's doc comment gives the rule.
func (l *Local) Place(prev string) (string, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var (
		best, tight          *folderState
		bestScore, tightFree float64
		passed               []error
	)
	for _, f := range l.folders {
		free, err := f.freeSpace(l.free, now)
		switch {
		case err != nil:
			passed = append(passed, &FolderError{f.Name, fmt.Errorf("free space unknown: %w", err)})
			continue
		case free < MinRoom:
			passed = append(passed, &FolderError{f.Name, fmt.Errorf("full: %d bytes free", free)})
			continue
		}
		if tight == nil || float64(free) > tightFree {
			tight, tightFree = f, float64(free)
		}
		switch {
		case !f.failedAt.IsZero() && now.Sub(f.failedAt) < FailureCooldown:
			continue
		case free < f.Headroom:
			continue
		case f.Name == prev:
			return prev, nil
		}
		if score := float64(free) / float64(1+f.open); best == nil || score > bestScore {
			best, bestScore = f, score
		}
	}
	if best != nil {
		return best.Name, nil
	}
	if tight != nil {
		return tight.Name, nil
	}
	// ENOSPC too: the condition is the disk's, in its words.
	return "", fmt.Errorf("%w (%w): %w", ErrNoRoom, syscall.ENOSPC, errors.Join(passed...))
}

// freeSpace is the folder's free space, read at most every freeCacheFor.
// l.mu is held.
func (f *folderState) freeSpace(free func(string) (int64, error), now time.Time) (int64, error) {
	if f.freeAt.IsZero() || now.Sub(f.freeAt) >= freeCacheFor || now.Before(f.freeAt) {
		f.free, f.freeErr = free(f.Path)
		if errors.Is(f.freeErr, fs.ErrNotExist) {
			// Not made yet (the first segment makes it): the file
			// system above it has the room.
			f.free, f.freeErr = free(existingParent(f.Path))
		}
		f.freeAt = now
	}
	return f.free, f.freeErr
}

func existingParent(p string) string {
	for {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		up := filepath.Dir(p)
		if up == p {
			return p
		}
		p = up
	}
}

// failed marks a folder's write as failed, so Place passes it over.
func (l *Local) failed(f *folderState, err error) {
	l.mu.Lock()
	f.failedAt, f.failure = l.now(), err
	f.freeAt = time.Time{} // read its free space afresh
	l.mu.Unlock()
}

// abs is where ref is on disk.
func (l *Local) abs(ref Ref) (*folderState, string, error) {
	f, ok := l.byName[ref.Folder]
	if !ok {
		return nil, "", fmt.Errorf("%w: %q", ErrUnknownFolder, ref.Folder)
	}
	if !filepath.IsLocal(ref.Path) {
		return nil, "", fmt.Errorf("%w: %q", ErrBadPath, ref.Path)
	}
	return f, filepath.Join(f.Path, ref.Path), nil
}

// Create implements Store.
func (l *Local) Create(ref Ref, init []byte) (Writer, error) {
	f, abs, err := l.abs(ref)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		l.failed(f, err)
		return nil, err
	}
	file, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		if !errors.Is(err, fs.ErrExist) { // a name taken is not the folder failing
			l.failed(f, err)
		}
		return nil, err
	}
	if _, err := file.Write(init); err != nil {
		file.Close()
		os.Remove(abs)
		l.failed(f, err)
		return nil, err
	}
	l.mu.Lock()
	f.open++
	l.mu.Unlock()
	return &localWriter{l: l, f: f, file: file}, nil
}

// Open implements Store.
func (l *Local) Open(ref Ref) (Reader, error) {
	_, abs, err := l.abs(ref)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	return &localReader{File: file, size: fi.Size()}, nil
}

// Truncate implements Store.
func (l *Local) Truncate(ref Ref, size int64) error {
	_, abs, err := l.abs(ref)
	if err != nil {
		return err
	}
	return os.Truncate(abs, size)
}

// Remove implements Store: the segment, then its day folder once empty.
func (l *Local) Remove(ref Ref) error {
	f, abs, err := l.abs(ref)
	if err != nil {
		return err
	}
	if err := os.Remove(abs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if dir := filepath.Dir(abs); dir != filepath.Clean(f.Path) {
		os.Remove(dir) // fails while it holds other segments: as it should
	}
	return nil
}

// Free implements Store: the file system's free bytes, read now.
func (l *Local) Free(folder string) (int64, error) {
	f, ok := l.byName[folder]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownFolder, folder)
	}
	return l.free(f.Path)
}

// List implements Store: every .mp4 file under the folder.
func (l *Local) List(ctx context.Context, folder string, fn func(path string) error) error {
	f, ok := l.byName[folder]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownFolder, folder)
	}
	root := f.Path
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // nothing recorded there yet
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".mp4") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		return fn(rel)
	})
}

func statfsFree(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, &fs.PathError{Op: "statfs", Path: path, Err: err}
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

type localReader struct {
	*os.File
	size int64
}

func (r *localReader) Size() int64 { return r.size }

type localWriter struct {
	l      *Local
	f      *folderState
	file   *os.File
	rc     syscall.RawConn
	closed bool
}

// Append implements Writer with writev, IOV_MAX buffers at a time.
func (w *localWriter) Append(bufs [][]byte) error {
	if err := w.writev(bufs); err != nil {
		w.l.failed(w.f, err)
		return &fs.PathError{Op: "write", Path: w.file.Name(), Err: err}
	}
	return nil
}

func (w *localWriter) writev(bufs [][]byte) error {
	if w.rc == nil {
		rc, err := w.file.SyscallConn()
		if err != nil {
			return err
		}
		w.rc = rc
	}
	for len(bufs) > 0 && len(bufs[0]) == 0 {
		bufs = bufs[1:]
	}
	for len(bufs) > 0 {
		var n int
		var werr error
		chunk := bufs[:min(len(bufs), iovMax)]
		if err := w.rc.Write(func(fd uintptr) bool {
			n, werr = unix.Writev(int(fd), chunk)
			return werr != unix.EAGAIN
		}); err != nil {
			return err
		}
		if werr == unix.EINTR {
			continue
		}
		if werr != nil {
			return werr
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		for n > 0 {
			if n >= len(bufs[0]) {
				n -= len(bufs[0])
				bufs = bufs[1:]
			} else {
				bufs[0] = bufs[0][n:]
				n = 0
			}
		}
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
	}
	return nil
}

// iovMax is the most buffers one writev takes (IOV_MAX on Linux).
const iovMax = 1024

// Truncate implements Writer.
func (w *localWriter) Truncate(size int64) error {
	if err := w.file.Truncate(size); err != nil {
		return err
	}
	// The next append goes where the cut left the end, not after a hole.
	_, err := w.file.Seek(size, io.SeekStart)
	return err
}

// Close implements Writer.
func (w *localWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.l.mu.Lock()
	w.f.open--
	w.l.mu.Unlock()
	return w.file.Close()
}

var _ Store = (*Local)(nil)
