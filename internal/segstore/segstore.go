// Package segstore keeps recorded segment files: it is the one place that
// creates, appends to, reads, truncates, lists and removes them, and that
// decides which storage folder a new segment goes to. Recording (the
// recorder, reconciliation, retention, erasure) and playback go through
// it and never touch the file system themselves, so that another kind of
// storage (an S3-compatible bucket) can stand behind the same interface.
//
// A segment is named by a Ref: the storage folder's configured name and a
// relative path within it, which is what the index stores. Segments
// written before this package existed are named the same way, so they
// stay readable.
package segstore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Ref names one segment: the storage folder's name and the segment's
// relative path in it ("12/2026-12-07/101500.000.mp4").
type Ref struct {
	Folder, Path string
}

func (r Ref) String() string { return r.Folder + ":" + r.Path }

// Errors a caller tells apart.
var (
	// ErrNoRoom: every storage folder is full, so a new segment has
	// nowhere to go. Errors wrapping it also say each folder's state.
	ErrNoRoom = errors.New("segstore: no storage folder has room for a new segment")
	// ErrUnknownFolder: a Ref names a storage folder that is not
	// configured (any more).
	ErrUnknownFolder = errors.New("segstore: storage folder not configured")
	// ErrBadPath: a Ref's path is not a plain relative path inside its
	// folder.
	ErrBadPath = errors.New("segstore: segment path leaves its folder")
)

// Store is segment storage. Its methods are safe for concurrent use.
type Store interface {
	// Place chooses the folder for a camera's next segment. prev is the
	// folder of the camera's previous segment ("" if none), which Place
	// keeps while it has room so that a camera's footage stays together.
	// It fails with ErrNoRoom when every folder is full.
	Place(prev string) (string, error)
	// Create makes a new segment at ref, which must not exist, and writes
	// init (the file's header) to it.
	Create(ref Ref, init []byte) (Writer, error)
	// Open opens a segment for reading; a segment that is not there is
	// an error matching fs.ErrNotExist.
	Open(ref Ref) (Reader, error)
	// Truncate cuts a segment to size bytes (a half-written tail).
	Truncate(ref Ref, size int64) error
	// Remove deletes a segment; one already gone is not an error.
	Remove(ref Ref) error
	// Free is the room left for segments in a folder, in bytes.
	Free(folder string) (int64, error)
	// List calls fn for every segment in a folder, in no set order.
	List(ctx context.Context, folder string, fn func(path string) error) error
	// Folders names the configured folders, in configuration order.
	Folders() []string
}

// Writer is a segment open for writing. One goroutine uses it at a time.
type Writer interface {
	// Append writes bufs, in order, after what the segment holds: on the
	// local disk with as few vectored writes (writev) as it can, never
	// copying them together first. It may change bufs' elements. On an
	// error part of bufs may have been written: Truncate takes it back.
	Append(bufs [][]byte) error
	// Truncate cuts the segment back to size bytes.
	Truncate(size int64) error
	// Close ends writing.
	Close() error
}

// Reader is a segment open for reading; ReadAt is safe for concurrent use.
type Reader interface {
	io.ReaderAt
	io.Closer
	// Size is the segment's length when it was opened.
	Size() int64
}

// FolderError says why one folder was passed over for a new segment.
type FolderError struct {
	Folder string
	Err    error
}

func (e *FolderError) Error() string { return fmt.Sprintf("storage %q: %v", e.Folder, e.Err) }

func (e *FolderError) Unwrap() error { return e.Err }
