package profile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
)

// LoadOptions tunes Load.
type LoadOptions struct {
	Decode DecodeOptions
	// Source, when set, puts every snapshot into one source of that name.
	Source string
	// SourceLabel, when set, takes the source from this sample label's
	// dominant value (pprof labels, or goroutine labels in a debug=2 dump).
	SourceLabel string
	// SourceRegexp, when set, takes the source from the file's base name:
	// the group named "source", else the first group, else the whole match.
	SourceRegexp *regexp.Regexp
	// Workers bounds concurrent decoding; 0 means GOMAXPROCS.
	Workers int
	// Stdin is read for the argument "-".
	Stdin io.Reader
	// Progress, when set, is called after each file with the number done
	// and the total, from the calling goroutine.
	Progress func(done, total int)
	// Fold folds each snapshot's per-site values into its series' columns
	// as soon as it is decoded (see Snapshot.Folded): memory then grows
	// with the sites of each series, not with every snapshot's sites.
	// Only Align reads folded snapshots' values; leave it off to read
	// Sites (leakdiff diff does).
	Fold bool
	// State, when set with Fold, keeps what a Load folded and the
	// headers of its files, under a key of the inputs' folders and the
	// options; a Load of the same folders reads only the files added
	// since (see loadState). Its entries are written whole or not at all
	// by the Cache; one that does not decode is ignored and rewritten.
	State Cache
}

// Skipped is an input that gave no snapshot, with the reason.
type Skipped struct {
	File string
	Err  error
}

// Loaded is what Load read.
type Loaded struct {
	// Files counts the inputs considered: the files found by expanding
	// directories and globs, and what expanding skipped.
	Files int
	// Snapshots holds every decoded snapshot in input order, Source set
	// and Time filled from the file name where the profile had none.
	Snapshots []Snapshot
	// Skipped lists the inputs that gave no snapshot, in input order.
	Skipped []Skipped
	// Warnings are remarks on the inputs as a whole.
	Warnings []string
	// Reused counts the snapshots taken from the load state
	// (LoadOptions.State) instead of their files.
	Reused int

	stateWritten chan struct{} // closed once the load state is written
}

// Wait returns once the load state (LoadOptions.State) is written: it is
// written beside what follows the Load. A process that exits sooner
// leaves the state it had.
func (l *Loaded) Wait() {
	if l.stateWritten != nil {
		<-l.stateWritten
	}
}

const stdinName = "-"

// putOnly is a Cache that is written, never read.
type putOnly struct{ Cache }

func (putOnly) Get(string) ([]byte, bool) { return nil, false }

// Load expands the arguments (files, directories walked recursively,
// globs expanded even when the shell did not, and "-" for standard input),
// decodes every file with a bounded pool of workers and assigns each
// snapshot its source. A file that cannot be read or decoded is not fatal:
// it is listed in Skipped. Load fails only when ctx is done.
func Load(ctx context.Context, args []string, opts LoadOptions) (*Loaded, error) {
	res := &Loaded{}
	if opts.Decode.Interner == nil {
		opts.Decode.Interner = NewInterner()
	}
	files := expand(args, res)
	// What expanding skipped (hidden files, FIFOs, patterns matching
	// nothing) counts too: every input considered is read, set aside or
	// listed as skipped.
	res.Files = len(files) + len(res.Skipped)

	if opts.Decode.Gate == nil {
		opts.Decode.Gate = &Gate{}
	}
	now := time.Now()
	type result struct {
		snap *Snapshot
		err  error
	}
	results := make([]result, len(files))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	folded := &fold{}
	// With a load state of these inputs, the files it holds are not read:
	// its columns are decoded beside the new files, which are folded
	// into them once they are (ready).
	var (
		st       *loadState
		reuse    map[string]*stateFile
		verified int
		ready    chan struct{}
		stateErr error
	)
	stateKey, useState := "", false
	if opts.Fold && opts.State != nil {
		if stateKey, useState = opts.stateKey(files); useState {
			opts.Decode.sums = true
			if data, ok := opts.State.Get(stateKey); ok {
				if st, _ = parseState(data, opts.Decode.Interner); st != nil {
					if reuse, verified = st.reusable(files); reuse == nil {
						st = nil
					}
				}
			}
		}
	}
	if st != nil {
		ready = make(chan struct{})
		go func() {
			defer close(ready)
			stateErr = st.decodeGroups()
		}()
	}
	foldInto := func() *fold {
		if ready != nil {
			if <-ready; stateErr == nil {
				return st.fold
			}
		}
		return folded
	}
	var todo []int
	for i, f := range files {
		if reuse[f] != nil {
			res.Reused++
			continue
		}
		todo = append(todo, i)
	}
	if opts.Progress != nil && res.Reused > 0 {
		opts.Progress(res.Reused, len(files))
	}
	jobs := make(chan int)
	done := make(chan int, len(todo)) // workers never wait on a reader that left
	var wg sync.WaitGroup
	for range min(workers, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var snap *Snapshot
				var err error
				if files[i] == stdinName {
					if opts.Stdin == nil {
						err = errors.New("no standard input")
					} else {
						snap, err = ReadFile(opts.Stdin, -1, stdinName, &opts.Decode, now)
					}
				} else {
					snap, err = loadFile(files[i], &opts.Decode, now)
				}
				if snap != nil && opts.Fold {
					foldInto().add(snap, &opts)
				}
				results[i] = result{snap, err}
				done <- i
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, i := range todo {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	// Once ctx is done, Load returns without waiting for the files being
	// read: one may be a pipe that never ends (standard input).
	for n := res.Reused + 1; ; n++ {
		select {
		case _, ok := <-done:
			if ok {
				if opts.Progress != nil {
					opts.Progress(n, len(files))
				}
				continue
			}
		case <-ctx.Done():
		}
		break
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if st != nil {
		if folded = foldInto(); stateErr != nil {
			// A state whose files read but whose columns do not: read
			// every file (and write the state anew).
			opts.State = putOnly{opts.State}
			return Load(ctx, args, opts)
		}
		for i, f := range files {
			if sf := reuse[f]; sf != nil {
				snap := sf.snap
				noteFuture(&snap, now)
				results[i] = result{snap: &snap}
			}
		}
	}

	for i, r := range results {
		if r.err != nil {
			res.Skipped = append(res.Skipped, Skipped{File: files[i], Err: r.err})
			continue
		}
		res.Snapshots = append(res.Snapshots, *r.snap)
	}
	if useState && (reuse == nil || len(res.Snapshots) > res.Reused || verified > 0) {
		// Encoded beside the analysis, from copies: Align consumes the
		// columns, and sources are named below (a state holds snapshots
		// as read).
		snaps := make([]*Snapshot, len(res.Snapshots))
		for i := range res.Snapshots {
			s := res.Snapshots[i]
			snaps[i] = &s
		}
		f, in := folded.clone(), opts.Decode.Interner
		done := make(chan struct{})
		res.stateWritten = done
		go func() {
			defer close(done)
			_ = opts.State.Put(stateKey, encodeState(f, snaps, now, in)) // a state not kept only costs time
		}()
	}
	AssignSources(res.Snapshots, &opts)
	return res, nil
}

// DecodeFile decodes one file's bytes (see Decode) as Load does: its File
// is set to file, its time is taken from the file name when the profile
// has none, and a time more than a week after now is noted.
func DecodeFile(data []byte, file string, o *DecodeOptions, now time.Time) (*Snapshot, error) {
	snap, err := Decode(data, file, o)
	if err != nil {
		return nil, err
	}
	finish(snap, file, now)
	return snap, nil
}

// finish sets what a snapshot takes from its file: its name, its time
// when the profile has none, a note on a time in the future.
func finish(snap *Snapshot, file string, now time.Time) {
	snap.File = file
	if snap.TimeFrom == TimeUnknown {
		if t, ok := TimeFromName(file); ok {
			snap.Time, snap.TimeFrom = t, TimeFromFileName
		}
	}
	noteFuture(snap, now)
}

// noteFuture notes a time beyond clock skew (hours) and simulated series
// (days): a week after now.
func noteFuture(snap *Snapshot, now time.Time) {
	if snap.TimeFrom != TimeUnknown && snap.Time.After(now.Add(7*24*time.Hour)) {
		snap.Notes = append(snap.Notes, futureNote(snap))
	}
}

// ReadFile reads a snapshot file of size bytes (-1 when unknown) from r,
// refusing it past o.MaxBytes before and while reading, and decodes it
// with DecodeFile. Load reads every file through it; leakdiff-beam reads
// files of any Beam filesystem through it.
func ReadFile(r io.Reader, size int64, file string, o *DecodeOptions, now time.Time) (*Snapshot, error) {
	h := &hold{g: o.Gate}
	defer h.release()
	pooled := getBuf()
	defer putBuf(pooled) // Decode keeps no reference into the file's bytes
	buf := pooled
	// Past largeInput, the file is read into the gate's buffer, once held.
	large := func() { buf = h.adopt(buf, false) }
	limit := maxInput(o)
	if size > limit {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %s (--max-snapshot-size)", ErrTooLarge, size, byteSize(limit))
	}
	if size > largeInput {
		large()
	}
	if size > 0 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	// The first 64 KiB are checked before the rest is read: a file of
	// zeros or another kind of file is refused at once. Gzip is checked
	// once inflated.
	n, err := buf.ReadFrom(io.LimitReader(r, sniffLen))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if !isGzip(buf.Bytes()) {
		total := limit
		if size >= 0 {
			total = size
		}
		if why := implausible(buf.Bytes(), total); why != "" {
			return nil, fmt.Errorf("%w: %s", ErrUnrecognized, why)
		}
	}
	if n == sniffLen {
		// Of an unknown size (a pipe, standard input), what goes on past
		// largeInput is read under the gate.
		m, err := buf.ReadFrom(io.LimitReader(r, max(largeInput-n, 0)))
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		if n += m; n >= largeInput {
			large()
			if size < 0 {
				// Once, rather than doubling: pages are touched only as
				// they are read into.
				buf.Grow(int(limit + 1 - n + bytes.MinRead))
			}
			m, err := buf.ReadFrom(io.LimitReader(r, limit+1-n))
			if err != nil {
				return nil, fmt.Errorf("read: %w", err)
			}
			n += m
		}
	}
	if n > limit {
		return nil, fmt.Errorf("read: %w: larger than the limit of %s (--max-snapshot-size)", ErrTooLarge, byteSize(limit))
	}
	var sum [sha256.Size]byte
	if o.Cache != nil || o.sums {
		sum = sha256.Sum256(buf.Bytes())
	}
	key, cached := o.cacheKey(sum, file)
	var snap *Snapshot
	if cached {
		snap = o.fromCache(key)
	}
	if snap == nil {
		if snap, err = decode(buf.Bytes(), file, o, h); err != nil {
			return nil, err
		}
		if cached {
			o.toCache(key, snap)
		}
	}
	snap.sum = sum
	finish(snap, file, now)
	return snap, nil
}

func maxInput(o *DecodeOptions) int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

func loadFile(path string, o *DecodeOptions, now time.Time) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	var st fileStat
	fi, err := f.Stat() // before reading: a change while reading shows next time
	if err == nil {
		size = fi.Size()
		st, _ = statOf(fi)
	}
	snap, err := ReadFile(f, size, path, o, now)
	if snap != nil {
		snap.stat = st
	}
	return snap, err
}

// expand turns arguments into a list of files, recording the arguments that
// name nothing usable in res.Skipped.
func expand(args []string, res *Loaded) []string {
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, arg := range args {
		if arg == stdinName {
			add(stdinName)
			continue
		}
		fi, err := os.Stat(arg)
		if err != nil && strings.ContainsAny(arg, "*?[") {
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				res.Skipped = append(res.Skipped, Skipped{File: arg, Err: fmt.Errorf("bad pattern: %w", gerr)})
				continue
			}
			if len(matches) == 0 {
				res.Skipped = append(res.Skipped, Skipped{File: arg, Err: errors.New("no file matches the pattern")})
				continue
			}
			for _, m := range matches {
				if mfi, err := os.Stat(m); err == nil && mfi.IsDir() {
					walk(m, add, res)
				} else {
					addFile(m, add, res)
				}
			}
			continue
		}
		if err != nil {
			res.Skipped = append(res.Skipped, Skipped{File: arg, Err: unwrapPathError(err)})
			continue
		}
		if fi.IsDir() {
			walk(arg, add, res)
			continue
		}
		addFile(arg, add, res)
	}
	return files
}

// addFile adds a path after checking it is a regular file: FIFOs and
// devices are never opened, since reading them could block forever.
func addFile(p string, add func(string), res *Loaded) {
	fi, err := os.Stat(p)
	if err != nil {
		res.Skipped = append(res.Skipped, Skipped{File: p, Err: unwrapPathError(err)})
		return
	}
	if !fi.Mode().IsRegular() {
		res.Skipped = append(res.Skipped, Skipped{File: p, Err: fmt.Errorf("not a regular file (%s)", fi.Mode().Type())})
		return
	}
	add(p)
}

// walk adds every regular file under dir in lexical order. Hidden files and
// directories (".git", ".DS_Store") are listed as skipped, not read;
// symbolic links to directories are not followed, so a link loop cannot
// trap the walk.
func walk(dir string, add func(string), res *Loaded) {
	found := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			res.Skipped = append(res.Skipped, Skipped{File: p, Err: unwrapPathError(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			// Listed, not read: ".git" or ".DS_Store" are no snapshots,
			// and a hidden one would be a surprise either way.
			if d.IsDir() {
				res.Skipped = append(res.Skipped, Skipped{File: p, Err: errors.New("hidden folder, not walked")})
				return fs.SkipDir
			}
			res.Skipped = append(res.Skipped, Skipped{File: p, Err: errors.New("hidden file, not read")})
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(p)
			if err == nil && fi.IsDir() {
				res.Skipped = append(res.Skipped, Skipped{File: p, Err: errors.New("symbolic link to a directory, not followed")})
				return nil
			}
		}
		found++
		addFile(p, add, res)
		return nil
	})
	if err != nil {
		res.Skipped = append(res.Skipped, Skipped{File: dir, Err: err})
	}
	if found == 0 {
		res.Skipped = append(res.Skipped, Skipped{File: dir, Err: errors.New("no files in directory")})
	}
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
