package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"github.com/vigil-cctv/vigil/internal/store"
)

// recordVersion is the version of the record encoding below; it is stored
// with each record and is the first byte the hash covers, so a later
// encoding can coexist with records made under this one.
const recordVersion = 1

// zeroHash is what the first record of a trail links to.
var zeroHash [32]byte

// encodeRecord appends the canonical encoding of r: every field, in a
// fixed order, numbers as fixed-width big-endian and strings prefixed by
// their length, so two different records never encode alike.
func encodeRecord(dst []byte, r *store.ChainRow) []byte {
	dst = append(dst, byte(r.Version))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Seq))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.AtUS))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.UserID))
	dst = appendString(dst, r.Username)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.OrganisationID))
	dst = appendString(dst, r.Action)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.CameraID))
	dst = appendOptional(dst, r.HasRangeStart, r.RangeStartUS)
	dst = appendOptional(dst, r.HasRangeEnd, r.RangeEndUS)
	dst = appendString(dst, r.RemoteAddr)
	dst = appendString(dst, r.Reason)
	dst = appendString(dst, r.Detail)
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func appendOptional(dst []byte, ok bool, v int64) []byte {
	if !ok {
		return append(dst, 0)
	}
	return binary.BigEndian.AppendUint64(append(dst, 1), uint64(v))
}

// recordHash is SHA-256(prev || encoding), computed in buf (which it
// returns for reuse) so that hashing millions of records allocates nothing.
func recordHash(buf []byte, prev []byte, r *store.ChainRow) ([32]byte, []byte) {
	buf = append(buf[:0], prev...)
	buf = encodeRecord(buf, r)
	return sha256.Sum256(buf), buf
}

// chainRow is the verification view of a stored record.
func chainRow(r *store.AuditRecord) store.ChainRow {
	c := store.ChainRow{
		Seq: r.Seq, AtUS: r.At.UnixMicro(), UserID: r.UserID, Username: r.Username, OrganisationID: r.OrganisationID,
		Action: r.Action, CameraID: r.CameraID, RemoteAddr: r.RemoteAddr, Reason: r.Reason, Detail: r.Detail,
		Version: int64(r.Version), PrevHash: r.PrevHash, Hash: r.Hash,
	}
	if r.RangeStart != nil {
		c.HasRangeStart, c.RangeStartUS = true, r.RangeStart.UnixMicro()
	}
	if r.RangeEnd != nil {
		c.HasRangeEnd, c.RangeEndUS = true, r.RangeEnd.UnixMicro()
	}
	return c
}

// recordMAC authenticates a record's hash under a key only Vigil holds: a
// record someone with database access appends after the last checkpoint
// can be chained correctly, but not given a MAC.
func recordMAC(key, hash []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(hash)
	return m.Sum(nil)
}

// checkpointMessage is what a checkpoint's signature covers.
func checkpointMessage(c *store.AuditCheckpoint) []byte {
	b := make([]byte, 0, 200)
	b = append(b, "vigil audit checkpoint v1\n"...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.N))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Seq))
	b = appendBytes(b, c.Hash)
	b = binary.BigEndian.AppendUint64(b, uint64(c.At.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.StartSeq))
	b = appendBytes(b, c.StartPrev)
	b = binary.BigEndian.AppendUint64(b, uint64(c.FirstCheckpoint))
	b = appendString(b, c.Kind)
	b = appendBytes(b, c.Prev)
	// Only an acknowledgement carries the field, so that every checkpoint
	// signed before there were acknowledgements still verifies.
	if c.Acknowledges != 0 {
		b = append(b, "acknowledges\n"...)
		b = binary.BigEndian.AppendUint64(b, uint64(c.Acknowledges))
	}
	return b
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// checkpointHash chains checkpoints: the next one's Prev.
func checkpointHash(c *store.AuditCheckpoint) []byte {
	h := sha256.New()
	h.Write(checkpointMessage(c))
	h.Write(c.Signature)
	return h.Sum(nil)
}
