package profile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Goroutine is one goroutine of a text dump (runtime.Stack, the
// /debug/pprof/goroutine?debug=2 page, or a crash's traceback).
type Goroutine struct {
	// ID is the goroutine id of the header line.
	ID int64
	// State is the wait reason or status without its decorations:
	// "chan send", "select", "IO wait", "running", "sleep".
	State string
	// Wait is how long it has been blocked; the runtime prints whole
	// minutes from one minute on, so zero means under a minute or unknown.
	Wait time.Duration
	// Leaked is set when the runtime marked the goroutine "(leaked)": the
	// garbage collector proved it can never run again (Go 1.26
	// goroutineleakprofile).
	Leaked bool
	// Locked is set for "locked to thread".
	Locked bool
	// Labels are the pprof labels printed with GODEBUG=tracebacklabels=1;
	// nil when none.
	Labels map[string]string
	// Stack is leaf first. It stops at the goroutine's entry function:
	// the "created by" frame is in CreatedBy, not here.
	Stack Stack
	// CreatedBy is the frame of the go statement that started the
	// goroutine; zero for the main goroutine or when the dump omits it.
	CreatedBy Frame
	// CreatorID is the goroutine that ran the go statement (Go 1.21+
	// "in goroutine N"); 0 when not printed.
	CreatorID int64
	// Elided is set when the runtime cut frames ("...N frames elided...").
	Elided bool
}

// Line shapes of a goroutine dump, as the runtime prints them
// (runtime/traceback.go goroutineheader, traceback1, printcreatedby):
//
//	goroutine 17 [chan send, 12 minutes]:
//	goroutine 17 gp=0xc000102a80 m=nil [chan send (leaked), locked to thread labels:{"k": "v"}]:
//	main.(*T).run(0xc000012345, {0x1, 0x2})
//		/src/main.go:42 +0x1d fp=0xc000 sp=0xc000 pc=0x4a1
//	main.helper(...)
//		/src/main.go:12
//	...additional frames elided...
//	...12 frames elided...
//	created by main.start in goroutine 1
//	created by main.start
//	[originating from goroutine 1]:
//
// The header, file and created-by lines are read by hand: they are most of
// a dump's lines, and regexps made the parser four times slower.
var (
	dumpElidedRE = regexp.MustCompile(`^\.\.\.(?:additional frames elided|\d+ frames elided)\.\.\.\s*$`)
	dumpAncestRE = regexp.MustCompile(`^\[originating from goroutine \d+\]:\s*$`)
)

// dumpHeader reads "goroutine 17 [chan send]:" and its Go 1.26 form with
// "gp=… m=… mp=…" fields before the bracket, returning the id and the
// bracketed status.
func dumpHeader(line string) (int64, string, bool) {
	rest, ok := strings.CutPrefix(line, "goroutine ")
	if !ok {
		return 0, "", false
	}
	n := digitRun(rest)
	if n == 0 {
		return 0, "", false
	}
	// Goroutine ids are uint64 in the runtime: one past int64 (or any
	// number of digits) is held at the largest int64, and the goroutine
	// counted (DumpStats.HugeIDs notes it).
	id, err := strconv.ParseInt(rest[:n], 10, 64)
	if err != nil {
		id = math.MaxInt64
	}
	rest = rest[n:]
	open := strings.Index(rest, " [")
	if open < 0 {
		return 0, "", false
	}
	for _, f := range strings.Fields(rest[:open]) { // gp=0xc… m=nil mp=0xc…
		if k, _, ok := strings.Cut(f, "="); !ok || k == "" {
			return 0, "", false
		}
	}
	body, ok := strings.CutSuffix(strings.TrimRight(rest[open+2:], " \t"), "]:")
	if !ok {
		return 0, "", false
	}
	return id, body, true
}

// ParseError is a problem at one line of a text input. It prints as
// "file:line: msg".
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// MaxLineBytes bounds one line of a text input.
const MaxLineBytes = 4 << 20

// DumpStats summarises a parse.
type DumpStats struct {
	Goroutines int
	// Problems are malformed lines that were skipped (non-fatal), at most
	// the first 10.
	Problems []error
	// ProblemCount counts all of them.
	ProblemCount int
	// HugeIDs counts goroutines whose id is past the largest int64: read,
	// with that id.
	HugeIDs int
}

// ParseGoroutineDump reads a goroutine text dump and calls fn for each
// goroutine in order. Text that is not part of a goroutine block (a panic
// message, "exit status 2", test output) is ignored, as panicparse does.
// Malformed lines inside a block are skipped and counted in the stats. It
// returns ErrUnrecognized when the input holds no goroutine header at all;
// an error from fn stops the parse and is returned.
func ParseGoroutineDump(r io.Reader, fn func(*Goroutine) error) (DumpStats, error) {
	var st DumpStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	problem := func(line int, msg string) {
		st.ProblemCount++
		if len(st.Problems) < 10 {
			st.Problems = append(st.Problems, &ParseError{Line: line, Msg: msg})
		}
	}
	const (
		outside   = iota // prose between blocks
		inFrames         // expecting a function line, created by, or blank
		inFile           // expecting the file line of the last function
		inCreated        // expecting the file line of "created by"
		inAncest         // inside an [originating from] section: skip to blank
	)
	state := outside
	var g *Goroutine
	emit := func() error {
		if g == nil {
			return nil
		}
		cur := g
		g = nil
		st.Goroutines++
		return fn(cur)
	}
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		// Cheap prefix tests guard every regexp: most lines are frames.
		if id, status, ok := dumpHeader(line); ok {
			if err := emit(); err != nil {
				return st, err
			}
			g = &Goroutine{ID: id}
			if id == math.MaxInt64 {
				st.HugeIDs++
			}
			parseDumpStatus(g, status)
			state = inFrames
			continue
		}
		if state == outside {
			continue
		}
		if strings.TrimSpace(line) == "" {
			if err := emit(); err != nil {
				return st, err
			}
			state = outside
			continue
		}
		switch state {
		case inAncest:
			continue
		case inFile, inCreated:
			if file, n, ok := dumpFileLine(line); ok {
				if state == inFile {
					f := &g.Stack[len(g.Stack)-1]
					f.File, f.Line = file, n
				} else {
					g.CreatedBy.File, g.CreatedBy.Line = file, n
				}
				state = inFrames
				continue
			}
			// A function line without its file line (truncated or
			// inlined output): fall through and read it as a new frame.
			state = inFrames
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			problem(lineNo, "file line without a function line")
		case strings.HasPrefix(line, "...") && dumpElidedRE.MatchString(line):
			g.Elided = true
		case strings.HasPrefix(line, "[originating") && dumpAncestRE.MatchString(line):
			state = inAncest
		case strings.HasPrefix(line, "created by "):
			fn := strings.TrimSpace(line[len("created by "):])
			if i := strings.LastIndex(fn, " in goroutine "); i >= 0 {
				if id, err := strconv.ParseInt(fn[i+len(" in goroutine "):], 10, 64); err == nil {
					g.CreatorID, fn = id, fn[:i]
				} else if isDigits(fn[i+len(" in goroutine "):]) {
					g.CreatorID, fn = math.MaxInt64, fn[:i]
				}
			}
			if fn == "" {
				problem(lineNo, "malformed created by line")
				continue
			}
			g.CreatedBy = Frame{Function: NormalizeFunction(fn)}
			state = inCreated
		default:
			if strings.HasPrefix(line, "----- stack segment boundary") { // Go ≤ 1.3
				continue
			}
			name, ok := dumpFunction(line)
			if !ok {
				// Not a frame: the block ended without a blank line
				// ("exit status 2" right after the last frame). Only a
				// line shaped like a frame is worth a word.
				if !strings.ContainsAny(line, " \t") {
					problem(lineNo, fmt.Sprintf("malformed frame %q", line))
				}
				if err := emit(); err != nil {
					return st, err
				}
				state = outside
				continue
			}
			g.Stack = append(g.Stack, Frame{Function: name})
			state = inFile
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return st, fmt.Errorf("line %d: longer than %s: no goroutine dump has such lines", lineNo+1, byteSize(MaxLineBytes))
	} else if err != nil {
		return st, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if err := emit(); err != nil {
		return st, err
	}
	if st.Goroutines == 0 {
		return st, ErrUnrecognized
	}
	return st, nil
}

// dumpFileLine reads the file line of a frame, "\t/src/x.go:42 +0x1d
// fp=0x… sp=0x…": the path may hold spaces and colons (C:/…), so the line
// number is the last ":digits" followed by a space or the end.
func dumpFileLine(line string) (string, int, bool) {
	if line == "" || line[0] != '\t' && line[0] != ' ' {
		return "", 0, false
	}
	line = strings.TrimLeft(line, " \t")
	for end := len(line); end > 0; {
		i := strings.LastIndexByte(line[:end], ':')
		if i <= 0 {
			return "", 0, false
		}
		j := i + 1
		for j < len(line) && '0' <= line[j] && line[j] <= '9' {
			j++
		}
		if j > i+1 && (j == len(line) || line[j] == ' ') {
			n, err := strconv.Atoi(line[i+1 : j])
			if err != nil {
				return "", 0, false
			}
			return Printable(line[:i]), n, true
		}
		end = i
	}
	return "", 0, false
}

// dumpFunction reads a function line: "pkg.F(args)", "pkg.F(...)", or a C
// frame "scanblock(0x7f42b0080000, 0x12de700)". Lines that end without an
// argument list are not frames.
func dumpFunction(line string) (string, bool) {
	if !strings.HasSuffix(line, ")") {
		return "", false
	}
	i := argListStart(line)
	if i <= 0 || strings.ContainsAny(line[:i], " \t") && !strings.Contains(line[:i], "operator") {
		return "", false
	}
	return NormalizeFunction(line[:i]), true
}

// parseDumpStatus reads the bracketed part of a header:
//
//	chan send (leaked), 12 minutes, locked to thread, synctest bubble 3 labels:{"k": "v"}
func parseDumpStatus(g *Goroutine, s string) {
	if i := strings.Index(s, " labels:{"); i >= 0 {
		g.Labels = parseDumpLabels(s[i+len(" labels:"):])
		s = s[:i]
	}
	parts := strings.Split(s, ", ")
	state := parts[0]
	for _, suf := range []string{" (durable)", " (scan)", " (leaked)"} {
		if before, ok := strings.CutSuffix(state, suf); ok {
			state = before
			if suf == " (leaked)" {
				g.Leaked = true
			}
		}
	}
	if strings.HasSuffix(state, " (leaked)") { // order varies across versions
		state = strings.TrimSuffix(state, " (leaked)")
		g.Leaked = true
	}
	g.State = Printable(state)
	for _, p := range parts[1:] {
		if n, ok := strings.CutSuffix(p, " minutes"); ok && isDigits(n) {
			m, _ := strconv.Atoi(n)
			g.Wait = time.Duration(m) * time.Minute
		} else if p == "locked to thread" {
			g.Locked = true
		}
	}
}

// parseDumpLabels reads {"k": "v", "k2": "v2"} with Go-quoted strings.
func parseDumpLabels(s string) map[string]string {
	s = strings.TrimPrefix(s, "{")
	out := map[string]string{}
	for {
		s = strings.TrimLeft(s, ", ")
		if s == "" || s[0] == '}' {
			break
		}
		kq, err := strconv.QuotedPrefix(s)
		if err != nil {
			break
		}
		s = strings.TrimPrefix(s[len(kq):], ": ")
		vq, err := strconv.QuotedPrefix(s)
		if err != nil {
			break
		}
		s = s[len(vq):]
		k, _ := strconv.Unquote(kq)
		v, _ := strconv.Unquote(vq)
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// looksLikeGoroutineDump reports whether text holds a goroutine header line
// in its first 64 KiB.
func looksLikeGoroutineDump(data []byte) bool {
	head := data[:min(len(data), 64<<10)]
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if _, _, ok := dumpHeader(string(bytes.TrimRight(line, "\r"))); ok {
			return true
		}
	}
	return false
}
