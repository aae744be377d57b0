package profile

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"hash/maphash"
	"path/filepath"
)

// Cache keeps reduced snapshots between runs, so that a folder analysed
// again is decoded only where it changed. Keys are what ReadFile derives
// from a file's content and the options that change its reduction; values
// are opaque bytes (MarshalBinary's encoding). An implementation must be
// safe for concurrent use; it may lose or refuse anything: Get then
// reports a miss, and Put's errors are ignored (the snapshot is decoded
// next time).
type Cache interface {
	Get(key string) ([]byte, bool)
	Put(key string, value []byte) error
}

// reductionVersion names the reduction's code: raise it when a change to
// decoding, site choice or the digest changes what a file reduces to, so
// that entries written before are not used (the cache's own namespace
// also changes with every build).
const reductionVersion = 1

// cacheKey returns the key of a file's reduced snapshot: a SHA-256 of the
// encoding's and the reduction's versions, every option that changes the
// reduction (site policy, size limit), the file's base name (it tells a
// goroutineleak dump and the collect index apart) and its bytes (sum, their
// SHA-256). ok is false when the snapshot cannot be cached: a seeded digest
// differs from run to run, and a machinery rule without an id cannot be
// told apart from another.
func (o *DecodeOptions) cacheKey(sum [sha256.Size]byte, file string) (key string, ok bool) {
	if o.Cache == nil {
		return "", false
	}
	h := sha256.New()
	w := keyWriter{h}
	w.str("leakdiff reduced snapshot")
	if !o.writeReduction(w) {
		return "", false
	}
	w.str(filepath.Base(file))
	h.Write(sum[:])
	return hex.EncodeToString(h.Sum(nil)), true
}

// keyWriter writes numbers and strings into a key's hash unambiguously.
type keyWriter struct{ h hash.Hash }

func (w keyWriter) num(v int64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	w.h.Write(b[:])
}

func (w keyWriter) str(s string) { w.num(int64(len(s))); w.h.Write([]byte(s)) }

// writeReduction writes the encoding's and the reduction's versions and
// every option that changes what a file reduces to (site policy, size
// limit); false when its snapshots cannot be cached: a seeded digest
// differs from run to run, and a machinery rule without an id cannot be
// told apart from another.
func (o *DecodeOptions) writeReduction(w keyWriter) bool {
	if o.Seed != (maphash.Seed{}) {
		return false
	}
	w.num(snapshotCodecVersion)
	w.num(reductionVersion)
	w.num(maxInput(o))
	p := &o.Sites
	w.num(int64(p.Granularity))
	w.num(int64(p.Mode))
	if p.Match != nil {
		w.str(p.Match.String())
	} else {
		w.num(-1)
	}
	if p.Machinery == nil {
		w.num(-1) // DefaultMachinery, fixed by the build
		return true
	}
	w.num(int64(len(p.Machinery)))
	for _, r := range p.Machinery {
		if r.ID == "" {
			return false
		}
		w.str(r.ID)
		w.str(r.Why) // user rules carry their regexp here
	}
	return true
}

// fromCache returns the cached snapshot under key, or nil on a miss or an
// entry that does not decode (torn, corrupt, of another version): it is
// then decoded again and the entry rewritten.
func (o *DecodeOptions) fromCache(key string) *Snapshot {
	data, ok := o.Cache.Get(key)
	if !ok {
		return nil
	}
	s := &Snapshot{}
	if err := s.unmarshal(data, o.Interner); err != nil || s.File != key || s.Source != "" {
		return nil // File holds the key: another file's entry is no hit
	}
	s.File = ""
	// Names and stacks are shared already, as a decoder's would be
	// (unmarshal with the Interner).
	s.internedNames = o.Interner != nil
	return s
}

// toCache stores a snapshot as decoded, before its file name and time are
// filled in (they come from the path, which may change); its File holds
// the key instead.
func (o *DecodeOptions) toCache(key string, s *Snapshot) {
	s.File = key
	data, err := s.marshal(o.Interner)
	s.File = ""
	if err != nil {
		return
	}
	_ = o.Cache.Put(key, data) // a cache that cannot write only costs time
}
