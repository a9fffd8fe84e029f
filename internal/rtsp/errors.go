package rtsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
)

// ErrNotRTSP is what an answer that is not RTSP at all Is: the address
// reaches some other service.
var ErrNotRTSP = errors.New("rtsp: not an RTSP server")

// notRTSPError keeps the line that was read, for the log and those who
// manage the camera; operators see only the class.
type notRTSPError struct{ line string }

func (e *notRTSPError) Error() string {
	return fmt.Sprintf("rtsp: not an RTSP server: it answered %.60q", e.line)
}

func (e *notRTSPError) Is(target error) bool { return target == ErrNotRTSP }

// AddressError is a connection refused before it was made, because
// ClientOptions.CheckAddress refused the address.
type AddressError struct {
	Host string     // the URL's host
	Addr netip.Addr // the address it resolved to, if it was read
	Err  error      // CheckAddress's refusal
}

func (e *AddressError) Error() string { return fmt.Sprintf("rtsp: dial %s: %v", e.Host, e.Err) }

func (e *AddressError) Unwrap() error { return e.Err }

// Class is the kind of failure that ended a camera session, in words an
// operator can act on, without anything the far end sent.
type Class string

// The classes of failure, from Classify.
const (
	ClassNotAllowed  Class = "address not allowed"
	ClassHostUnknown Class = "host not found"
	ClassRefused     Class = "connection refused"
	ClassNoRoute     Class = "no route"
	ClassTimeout     Class = "timed out"
	ClassNotRTSP     Class = "not an RTSP server"
	ClassAuth        Class = "authentication failed"
	ClassNoStream    Class = "stream not found"
	ClassRejected    Class = "request refused by the camera"
	ClassUnsupported Class = "unsupported stream"
	ClassProtocol    Class = "protocol error"
	ClassEnded       Class = "stream ended"
	ClassSilent      Class = "camera silent"
	ClassOther       Class = "connection failed"
)

// Classify says what kind of failure err is; nil has no class ("").
func Classify(err error) Class {
	var (
		ae  *AddressError
		dns *net.DNSError
		se  *statusError
		ve  *versionError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ClassNotAllowed
	case errors.Is(err, ErrNotRTSP):
		return ClassNotRTSP
	case errors.Is(err, ErrUnauthorized):
		return ClassAuth
	case errors.As(err, &se):
		switch se.code {
		case 401, 403:
			return ClassAuth
		case 404:
			return ClassNoStream
		}
		return ClassRejected
	case errors.As(err, &ve), errors.Is(err, ErrNoVideo):
		return ClassUnsupported
	case errors.Is(err, ErrSilence):
		return ClassSilent
	case errors.As(err, &dns) && !dns.IsTimeout:
		return ClassHostUnknown
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ClassNoRoute
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ClassTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return ClassEnded
	case errors.Is(err, errLineTooLong), errors.Is(err, errHeaderTooLong), errors.Is(err, errBodyTooLong), errors.Is(err, errBadSDP):
		return ClassProtocol
	}
	return ClassOther
}

// Status is the status line a camera refused a request with, when err is
// such a refusal (a 505 included): what a connection test shows the
// person adding the camera.
func Status(err error) (code int, reason string, ok bool) {
	var (
		se *statusError
		ve *versionError
	)
	switch {
	case errors.As(err, &se):
		return se.code, se.reason, true
	case errors.As(err, &ve):
		return 505, ve.reason, true
	case errors.Is(err, ErrUnauthorized):
		// Credentials refused after the challenge was answered.
		return 401, "Unauthorized", true
	}
	return 0, "", false
}
