package profile

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
)

// Site identifies the call site that owns a sample: a function name, and at
// line granularity the normalised file and line. It is comparable and used as
// a map key; it never holds an address.
type Site struct {
	Function string
	File     string
	Line     int
}

func (s Site) String() string {
	if s.File == "" {
		return s.Function
	}
	return fmt.Sprintf("%s %s:%d", s.Function, s.File, s.Line)
}

// Compare orders sites by function, then file, then line.
func (s Site) Compare(o Site) int {
	// strings.Compare reads the names once; cmp.Compare, twice when
	// they are not in order.
	if c := strings.Compare(s.Function, o.Function); c != 0 {
		return c
	}
	if c := strings.Compare(s.File, o.File); c != 0 {
		return c
	}
	return cmp.Compare(s.Line, o.Line)
}

// Granularity is how finely sites are told apart.
type Granularity int

const (
	// ByFunction aligns by function name only (the default): robust across
	// builds, where line numbers move.
	ByFunction Granularity = iota
	// ByLine aligns by function plus file:line of the site frame.
	ByLine
)

// SiteMode chooses which frame of a stack is its site.
type SiteMode int

const (
	// SiteAuto picks the leaf-most frame that is not machinery (see
	// Machinery); when every frame is machinery, the root frame: the
	// function the goroutine was started with.
	SiteAuto SiteMode = iota
	// SiteLeaf picks the leaf frame as it is.
	SiteLeaf
	// SiteMatch picks the leaf-most frame whose function matches
	// SitePolicy.Match, falling back to SiteAuto when none does.
	SiteMatch
)

// MachineryRule names frames that are never a site in SiteAuto mode: the
// places memory is allocated or goroutines park, not the code that asked.
type MachineryRule struct {
	ID  string
	Why string
	// Match reports whether a (normalised) function name is machinery.
	Match func(function string) bool
}

// RegexpRule is a MachineryRule matching function names with re.
func RegexpRule(id, why string, re *regexp.Regexp) MachineryRule {
	return MachineryRule{ID: id, Why: why, Match: re.MatchString}
}

// DefaultMachinery returns the built-in list of machinery frames, one rule
// per runtime or allocator family.
func DefaultMachinery() []MachineryRule {
	return append([]MachineryRule(nil), defaultMachinery...)
}

var defaultMachinery = []MachineryRule{
	{ID: "go-stdlib", Why: "Go runtime and standard library: mallocgc, growslice, gopark, selectgo, bufio, internal/poll allocate or block on behalf of the caller", Match: IsGoStdlib},
	RegexpRule("unsymbolized", "a bare address says nothing a person can act on", regexp.MustCompile(`^(0x[0-9a-fA-F]+|\?\?|)$`)),
	RegexpRule("go-builtin", "panic as old tracebacks print runtime.gopanic", regexp.MustCompile(`^panic$`)),
	RegexpRule("c-allocator", "C allocators and their jemalloc/tcmalloc/mimalloc front ends",
		regexp.MustCompile(`^(_?_?libc_\w+|malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|mmap|mmap64|brk|sbrk|_?je_\w+|tc_\w+|tcmalloc::.*|mi_\w+|_mi_\w+|__gnu_cxx::.*|operator new.*|operator delete.*|_Znwm|_Znam|_ZdlPv)$`)),
	RegexpRule("go-allocators", "Go libraries' own allocators, which only allocate for their caller: pebble's rawalloc and manual, ristretto's z.Calloc (badger)",
		regexp.MustCompile(`^github\.com/(cockroachdb/pebble(/v\d+)?/internal/(rawalloc|manual)\.New|dgraph-io/ristretto(/v\d+)?/z\.(Calloc|Malloc))$`)),
	RegexpRule("rust-std", "Rust allocation and standard-library frames (alloc::, core::, std::, hashbrown)",
		regexp.MustCompile(`^(<?(alloc|core|std|hashbrown)::|__rust_|__rdl_|__rg_)`)),
	RegexpRule("cpp-std", "C++ standard library containers and allocators", regexp.MustCompile(`^std::`)),
	RegexpRule("jvm", "JVM runtime and standard library classes", regexp.MustCompile(`^(java|javax|jdk|sun|com\.sun)\.`)),
	RegexpRule("native-runtime", "dynamic loader, libc start-up and kernel frames", regexp.MustCompile(`^(_start|__libc_start_main|_dl_\w+|start_thread|clone3?|\[kernel.*\]|\[unknown\])$`)),
}

// SitePolicy decides which frame of a stack is its site.
type SitePolicy struct {
	Granularity Granularity
	Mode        SiteMode
	// Match is used by SiteMatch.
	Match *regexp.Regexp
	// Machinery lists frames never chosen by SiteAuto; nil means
	// DefaultMachinery.
	Machinery []MachineryRule

	// maxSites bounds the sites of one snapshot (Decode sets it from
	// MaxBytes); 0 means the bound at DefaultMaxBytes.
	maxSites int
}

// siteCap is the number of sites (or metric series, or samples of a
// legacy text profile) a snapshot of up to maxBytes may hold: one per KiB
// of the limit, 131,072 at the default. Real profiles have tens of
// thousands at most; each costs about a KiB to decode, so that a hostile
// one holding millions is refused rather than taking gigabytes.
func siteCap(maxBytes int64) int { return int(max(maxBytes>>10, 4096)) }

func (p *SitePolicy) siteCap() int {
	if p.maxSites > 0 {
		return p.maxSites
	}
	return siteCap(DefaultMaxBytes)
}

// tooManySites refuses a snapshot past its site cap.
func tooManySites(what string, n int) error {
	return fmt.Errorf("%w: more than %d %s, the most a snapshot may hold at this --max-snapshot-size (one site per KiB of it; real profiles have tens of thousands at most): raise the limit to read it", ErrTooLarge, n, what)
}

// DefaultSitePolicy aligns by function with the built-in machinery list.
func DefaultSitePolicy() SitePolicy {
	return SitePolicy{Machinery: DefaultMachinery()}
}

// IsMachinery reports whether fn is never a site under this policy.
func (p *SitePolicy) IsMachinery(fn string) bool {
	rules := p.Machinery
	if rules == nil {
		rules = defaultMachinery
	}
	for _, r := range rules {
		if r.Match(fn) {
			return true
		}
	}
	return false
}

// SiteIndex returns the index in stk of the frame that is the site; -1 for
// an empty stack or one of bare addresses only.
func (p *SitePolicy) SiteIndex(stk Stack) int {
	if len(stk) == 0 {
		return -1
	}
	switch p.Mode {
	case SiteLeaf:
		return 0
	case SiteMatch:
		if p.Match != nil {
			for i, f := range stk {
				if p.Match.MatchString(f.Function) {
					return i
				}
			}
		}
	}
	for i, f := range stk {
		if !p.IsMachinery(f.Function) {
			return i
		}
	}
	return fallbackIndex(stk)
}

// fallbackIndex is the site of a stack whose every frame is machinery (e.g.
// net/http.(*persistConn).readLoop parked in select): the root frame, what
// the go statement started. Bare addresses are skipped, since every stack of
// an unsymbolized profile shares its root address; -1 means the stack is
// addresses only (see addressSite).
func fallbackIndex(stk Stack) int {
	for i := len(stk) - 1; i >= 0; i-- {
		if !isAddress(stk[i].Function) {
			return i
		}
	}
	return -1
}

// addressSite names the site of an unsymbolized stack by its first frames:
// the leaf alone is usually the allocator, shared by every stack.
func addressSite(stk Stack) Site {
	n := min(len(stk), 4)
	names := make([]string, n)
	for i := range n {
		names[i] = stk[i].Function
	}
	fn := strings.Join(names, "<")
	if len(stk) > n {
		fn += "<…"
	}
	return Site{Function: fn}
}

// isAddress reports whether a frame name is a bare address ("0x4a1b2c").
func isAddress(fn string) bool {
	return len(fn) > 2 && fn[0] == '0' && fn[1] == 'x' && isHex(fn[2:])
}

// SiteOf returns the site of a stack.
func (p *SitePolicy) SiteOf(stk Stack) Site {
	return siteAt(p, stk, p.SiteIndex(stk))
}

// siteAt builds the site of stk whose site frame is stk[i].
func siteAt(p *SitePolicy, stk Stack, i int) Site {
	if len(stk) == 0 {
		return Site{Function: "(no stack)"}
	}
	if i < 0 {
		return addressSite(stk)
	}
	f := stk[i]
	s := Site{Function: f.Function}
	if p.Granularity == ByLine {
		s.File = NormalizeFile(f.File)
		s.Line = f.Line
	}
	return s
}

// trimStack drops frames that are noise everywhere: runtime.goexit at the
// root of every goroutine and empty names.
func trimStack(stk Stack) Stack {
	for len(stk) > 0 {
		last := stk[len(stk)-1].Function
		if last == "runtime.goexit" || last == "runtime.goexit1" {
			stk = stk[:len(stk)-1]
			continue
		}
		break
	}
	return stk
}

// shortName is used in messages: the function without its import path.
func shortName(fn string) string {
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
}
