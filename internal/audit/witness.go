package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-cctv/vigil/internal/store"
)

// witnessFile is the newest checkpoint as written to the witness file:
// a copy outside the database, so that whoever can rewrite the database
// but not this file cannot roll the trail back to an earlier checkpoint.
type witnessFile struct {
	N               int64     `json:"n"`
	Seq             int64     `json:"seq"`
	Hash            []byte    `json:"hash"`
	At              time.Time `json:"at"`
	StartSeq        int64     `json:"start_seq"`
	StartPrev       []byte    `json:"start_prev"`
	FirstCheckpoint int64     `json:"first_checkpoint"`
	Kind            string    `json:"kind"`
	Prev            []byte    `json:"prev"`
	KeyID           string    `json:"key_id"`
	Signature       []byte    `json:"signature"`
	Acknowledges    int64     `json:"acknowledges,omitempty"`
}

// witness records c in the witness file, unless the file already holds a
// later checkpoint (another process on the same trail may have written
// one). A failure is logged, not returned: the checkpoint is already
// committed, and the file only ever adds protection.
func (t *Trail) witness(c *store.AuditCheckpoint) {
	if c == nil {
		return
	}
	t.log.Info("audit: checkpoint", "n", c.N, "seq", c.Seq, "hash", fmt.Sprintf("%x", c.Hash), "kind", c.Kind)
	if t.off != nil {
		t.off.checkpoint(*c)
	}
	if t.opt.Witness == "" {
		return
	}
	if old, err := ReadWitness(t.opt.Witness); err == nil && old != nil && old.N >= c.N {
		return
	}
	if err := writeWitness(t.opt.Witness, c); err != nil {
		t.log.Error("audit: writing the witness file", "err", err)
	}
}

func writeWitness(path string, c *store.AuditCheckpoint) error {
	b, err := json.MarshalIndent(witnessFile{
		N: c.N, Seq: c.Seq, Hash: c.Hash, At: c.At, StartSeq: c.StartSeq, StartPrev: c.StartPrev,
		FirstCheckpoint: c.FirstCheckpoint, Kind: c.Kind, Prev: c.Prev, KeyID: c.KeyID, Signature: c.Signature,
		Acknowledges: c.Acknowledges,
	}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".audit-witness-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if serr := tmp.Sync(); err == nil {
		err = serr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadWitness reads a witness file; a missing file is (nil, nil).
func ReadWitness(path string) (*store.AuditCheckpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read witness: %w", err)
	}
	var w witnessFile
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("audit: witness %s: %w", path, err)
	}
	return &store.AuditCheckpoint{
		N: w.N, Seq: w.Seq, Hash: w.Hash, At: w.At.UTC(), StartSeq: w.StartSeq, StartPrev: w.StartPrev,
		FirstCheckpoint: w.FirstCheckpoint, Kind: w.Kind, Prev: w.Prev, KeyID: w.KeyID, Signature: w.Signature,
		Acknowledges: w.Acknowledges,
	}, nil
}
