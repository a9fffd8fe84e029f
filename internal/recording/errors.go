package recording

import (
	"errors"
	"syscall"

	"github.com/vigil-cctv/vigil/internal/segstore"
)

// ErrorClass is the kind of a recorder's failure, in words an operator
// can act on. The failure itself (Stats.LastErrorDetail) names the
// server's folders and files and what the database said: it is for those
// who manage the camera and the server's log, not for everyone who may
// see the camera or play its footage.
type ErrorClass string

// The classes of failure, from Classify.
const (
	// ClassStorageFull: the file system is full, or the account's disk
	// quota spent (ENOSPC, EDQUOT), or every storage folder is too full
	// for a new segment (segstore.ErrNoRoom).
	ClassStorageFull ErrorClass = "storage full"
	// ClassStorage: any other failure to make or write the footage's
	// folders and files (a read-only or failing disk, permissions).
	ClassStorage ErrorClass = "storage error"
	// ClassIndex: the database refused the footage's index.
	ClassIndex ErrorClass = "index error"
	// ClassStream: the camera's video could not be described for a
	// file (parameter sets the recorder cannot read).
	ClassStream ErrorClass = "unrecordable stream"
)

// Error is a recorder's failure of a known class.
type Error struct {
	Class ErrorClass
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// failed wraps err as a failure of class; nil stays nil.
func failed(class ErrorClass, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: class, Err: err}
}

// Classify says what kind of recorder failure err is; nil has no class
// (""). A failure the recorder did not classify where it happened is a
// storage error, as every other step writes to the disk; a storage error
// that is the disk running out of room is storage full.
func Classify(err error) ErrorClass {
	if err == nil {
		return ""
	}
	class := ClassStorage
	if e := (*Error)(nil); errors.As(err, &e) {
		class = e.Class
	}
	if class == ClassStorage && (errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, segstore.ErrNoRoom)) {
		return ClassStorageFull
	}
	return class
}
