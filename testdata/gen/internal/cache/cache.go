// Package cache contains the heap leak: a map that only ever grows.
package cache

// Store keeps every value it is given; there is no eviction.
type Store struct {
	m map[int][]byte
}

// New returns an empty Store.
func New() *Store { return &Store{m: make(map[int][]byte)} }

// Put allocates a fresh 64 KiB buffer per call and keeps it forever, so
// cache.(*Store).Put is the allocation site whose inuse_space grows by
// 64 KiB for every call.
func (s *Store) Put(key int) {
	buf := make([]byte, 64<<10)
	buf[0] = byte(key) // touch it so it is obviously "used"
	s.m[key] = buf
}

// Len reports how many entries are held.
func (s *Store) Len() int { return len(s.m) }
