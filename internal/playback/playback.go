// Package playback hands back any recorded time range of a camera as one
// plain MP4, built on the fly from the stored fragments: the moov is made
// in memory from the fragments' sample tables and the media bytes are read
// straight from the segment files when asked for. Nothing is transcoded
// and no temporary file is written, so a request for an hour answers at
// once and seeks (HTTP Range) cost no more than the bytes sent.
package playback

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/mp4"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
)

// Segments is what playback needs of the segment store.
type Segments interface {
	Open(ref segstore.Ref) (segstore.Reader, error)
}

// Index is what playback reads of the segment index (the store).
type Index interface {
	FragmentsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]segindex.Fragment, error)
	Segment(ctx context.Context, id int64) (segindex.Segment, error)
}

// Errors a caller maps to answers.
var (
	// ErrNoFootage: nothing was recorded in the range.
	ErrNoFootage = errors.New("playback: no footage in the range")
)

// CodecChangeError says the range crosses a change of codec parameters
// (resolution, codec): one file cannot hold both, so the caller asks for
// the two sides separately.
type CodecChangeError struct{ At time.Time }

func (e *CodecChangeError) Error() string {
	return fmt.Sprintf("playback: the camera's codec settings change at %s; ask for the footage before and after that instant separately", e.At.Format(time.RFC3339Nano))
}

// MaxHeldGap is the longest gap a file holds its last picture across.
const MaxHeldGap = time.Hour

// LongGapError says the range crosses a gap longer than MaxHeldGap.
type LongGapError struct{ Start, End time.Time }

func (e *LongGapError) Error() string {
	return fmt.Sprintf("playback: no footage from %s to %s, longer than one file bridges (%s); ask for the footage before and after it separately",
		e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339), MaxHeldGap)
}

// Gap is a pause in the footage inside a file: the last picture before it
// is held for the gap's length, so the file's timeline stays wall-clock.
type Gap struct {
	Start, End time.Time
}

// Clip is one range of footage as an MP4 file.
type Clip struct {
	*mp4.Progressive
	// Start is the wall-clock time of the first picture (the keyframe at
	// or before the requested start, or the first one after it when the
	// start falls in a gap); End is after the last. A clip always holds
	// footage of the range asked for: Build never hands back footage
	// wholly before it.
	Start, End time.Time
	Gaps       []Gap
	ETag       string
	Codec      string
	files      []segstore.Reader
}

// Close releases the segment files.
func (c *Clip) Close() error {
	for _, f := range c.files {
		f.Close()
	}
	return nil
}

// Builder makes Clips.
type Builder struct {
	idx  Index
	segs Segments

	mu    sync.Mutex
	cache map[int64]segInfo // closed segments' init data, which never changes
}

type segInfo struct {
	row   segindex.Segment
	track mp4.Track
}

// NewBuilder makes a Builder of the footage in segs.
func NewBuilder(idx Index, segs Segments) *Builder {
	return &Builder{idx: idx, segs: segs, cache: map[int64]segInfo{}}
}

// MaxRange bounds one request; longer footage is asked for in parts.
const MaxRange = 24 * time.Hour

// Build makes the clip of [start, end) for a camera.
func (b *Builder) Build(ctx context.Context, cameraID int64, start, end time.Time) (*Clip, error) {
	frags, err := b.idx.FragmentsInRange(ctx, cameraID, start, end)
	if err != nil {
		return nil, err
	}
	if len(frags) == 0 {
		return nil, ErrNoFootage
	}
	clip := &Clip{}
	ok := false
	defer func() {
		if !ok {
			clip.Close()
		}
	}()
	fileOf := map[int64]int{}
	var track mp4.Track
	var samples []mp4.ProgressiveSample
	var sources []mp4.Source
	etag := sha256.New()
	fmt.Fprintf(etag, "%d|", cameraID)
	var prevEnd time.Time
	haveTrack := false
	for _, fr := range frags {
		si, err := b.segment(ctx, fr.SegmentID)
		if err != nil {
			return nil, err
		}
		if !haveTrack {
			track, haveTrack = si.track, true
		} else if !sameTrack(track, si.track) {
			return nil, &CodecChangeError{At: fr.Start}
		}
		src, opened := fileOf[fr.SegmentID]
		if !opened {
			f, err := b.segs.Open(segstore.Ref{Folder: si.row.Storage, Path: si.row.Path})
			if err != nil {
				return nil, fmt.Errorf("playback: segment file: %w", err)
			}
			clip.files = append(clip.files, f)
			src = len(sources)
			sources = append(sources, f)
			fileOf[fr.SegmentID] = src
		}
		mf, err := mp4.ReadFragment(clip.files[src], fr.Offset, fr.Offset+fr.Size)
		if err != nil {
			return nil, fmt.Errorf("playback: segment %d at %d: %w", fr.SegmentID, fr.Offset, err)
		}
		if len(samples) > 0 && !prevEnd.After(start) && len(mf.Samples) > 0 && mf.Samples[0].Keyframe {
			// Everything so far ends before the range (the keyframe
			// before start led into a gap): a clip starts at the first
			// keyframe that leads into the range, never with footage
			// from outside it held across a gap.
			samples, clip.Gaps = samples[:0], nil
			etag.Reset()
			fmt.Fprintf(etag, "%d|", cameraID)
		}
		if len(samples) == 0 {
			if len(mf.Samples) == 0 || !mf.Samples[0].Keyframe {
				continue // footage must start on a keyframe
			}
			clip.Start = fr.Start
		} else if gap := fr.Start.Sub(prevEnd); gap > MaxHeldGap {
			// A sample's duration is 32 bits, and an hour of one still
			// picture helps nobody: ask for the two sides.
			return nil, &LongGapError{Start: prevEnd, End: fr.Start}
		} else if gap > gapThreshold {
			// Hold the last picture across the gap.
			last := &samples[len(samples)-1]
			last.Duration += uint32(gap * time.Duration(track.Timescale) / time.Second)
			clip.Gaps = append(clip.Gaps, Gap{Start: prevEnd, End: fr.Start})
		}
		fmt.Fprintf(etag, "%d:%d:%d|", fr.SegmentID, fr.Offset, fr.Size)
		t := fr.Start
		off := mf.DataOffset
		for _, s := range mf.Samples {
			if !t.Before(end) && len(samples) > 0 {
				break
			}
			samples = append(samples, mp4.ProgressiveSample{Sample: s, Source: src, Offset: off})
			off += int64(s.Size)
			t = t.Add(time.Duration(s.Duration) * time.Second / time.Duration(track.Timescale))
		}
		prevEnd = t
		if !t.Before(end) {
			break
		}
	}
	if len(samples) == 0 || !prevEnd.After(start) {
		// Nothing, or only footage that ended before the range began
		// (the range lies after the newest footage, or in a gap): that
		// footage is not what was asked for.
		return nil, ErrNoFootage
	}
	clip.End = prevEnd
	fmt.Fprintf(etag, "%d", end.UnixMicro())
	p, err := mp4.NewProgressive(track, samples, sources, mp4.ProgressiveOptions{
		CreationTime: clip.Start,
		Meta: map[string]string{
			"camera": fmt.Sprint(cameraID),
			"start":  clip.Start.Format(time.RFC3339Nano),
			"end":    clip.End.Format(time.RFC3339Nano),
		},
	})
	if err != nil {
		return nil, err
	}
	clip.Progressive = p
	clip.ETag = `"` + hex.EncodeToString(etag.Sum(nil)[:16]) + `"`
	clip.Codec = track.Codec
	ok = true
	return clip, nil
}

// gapThreshold is the smallest pause shown as a gap.
const gapThreshold = 250 * time.Millisecond

func sameTrack(a, b mp4.Track) bool {
	return a.Codec == b.Codec && a.Width == b.Width && a.Height == b.Height && a.Timescale == b.Timescale && bytes.Equal(a.Config, b.Config)
}

// segment returns a segment's row and track, reading the init once.
func (b *Builder) segment(ctx context.Context, id int64) (segInfo, error) {
	b.mu.Lock()
	si, ok := b.cache[id]
	b.mu.Unlock()
	if ok {
		return si, nil
	}
	row, err := b.idx.Segment(ctx, id)
	if err != nil {
		return si, err
	}
	f, err := b.segs.Open(segstore.Ref{Folder: row.Storage, Path: row.Path})
	if err != nil {
		return si, fmt.Errorf("playback: segment file: %w", err)
	}
	defer f.Close()
	track, _, err := mp4.ReadInit(f, row.InitSize)
	if err != nil {
		return si, fmt.Errorf("playback: segment %d init: %w", id, err)
	}
	si = segInfo{row: row, track: track}
	b.mu.Lock()
	if len(b.cache) > 10000 {
		clear(b.cache)
	}
	b.cache[id] = si
	b.mu.Unlock()
	return si, nil
}

// Forget drops cached data of a deleted segment.
func (b *Builder) Forget(id int64) {
	b.mu.Lock()
	delete(b.cache, id)
	b.mu.Unlock()
}
