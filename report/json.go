package report

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// SchemaVersion names the JSON report's schema. Within v1 fields are only
// ever added.
const SchemaVersion = "leakdiff.report/v1"

// JSONReport is the JSON report, as written by --format json. Other programs
// may import this type to read it. Numbers are raw (bytes, counts, per
// hour); a statistic that is undefined (R² or a p-value from two snapshots)
// is null; times are RFC 3339 in UTC, null when the snapshots had none.
type JSONReport struct {
	Schema string `json:"schema"`
	// Generated is when the report was written.
	Generated time.Time `json:"generated"`
	Inputs    Inputs    `json:"inputs"`
	// Series has one entry per source, kind and metric.
	Series []JSONSeries `json:"series"`
	// Findings are ranked, first is worst; only those at or above
	// MinSeverity are listed, FindingsNotListed counts the rest.
	Findings          []JSONFinding `json:"findings"`
	MinSeverity       string        `json:"min_severity"`
	FindingsNotListed int           `json:"findings_not_listed"`
	// Asymmetries: peers running the same program, one of them growing.
	Asymmetries []JSONAsymmetry `json:"asymmetries"`
	// MemoryLimit is --memory-limit in bytes, null when not given.
	MemoryLimit *int64 `json:"memory_limit"`
	// Generator is the leakdiff and command line that made the report.
	Generator *JSONGenerator `json:"generator" since:"1.1"`
}

// JSONGenerator says how to make a report again.
type JSONGenerator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Command is the command line, one element per argument as given;
	// null when the report was not made by the command.
	Command []string `json:"command"`
}

// Inputs says what was read.
type Inputs struct {
	// Files counts the files considered; Snapshots those analysed.
	Files     int `json:"files"`
	Snapshots int `json:"snapshots"`
	// Skipped lists inputs that gave no snapshot, with the reason.
	Skipped []FileNote `json:"skipped"`
	// CountedOnce lists snapshots identical to another one, or of its
	// moment and totals (one profile in two forms).
	CountedOnce []FileNote `json:"counted_once"`
	// SameMoment lists snapshots taken at the same moment as another one of
	// their source and kind, with other content: not analysed (the error
	// gives both totals).
	SameMoment []FileNote `json:"same_moment"`
	// SetAside lists profiles read but not analysed (cpu, mutex, …).
	SetAside []SetAside `json:"set_aside"`
	Warnings []string   `json:"warnings"`
	// Series counts the snapshot series (one per source and kind), Sources
	// the distinct sources; Start and End bound the snapshots' times (null
	// without times). Every format's summary line says these numbers.
	Series  int        `json:"series" since:"1.1"`
	Sources int        `json:"sources" since:"1.1"`
	Start   *time.Time `json:"start" since:"1.1"`
	End     *time.Time `json:"end" since:"1.1"`
}

// FileNote is a file and what happened to it.
type FileNote struct {
	File string `json:"file"`
	// Reason says why the file is listed.
	Reason string `json:"reason" since:"1.1"`
	// Error is Reason under its first name, kept for readers of v1.0.
	Error string `json:"error" deprecated:"the same text as reason; a file counted once had no error"`
}

// SetAside is a profile of a kind leakdiff does not analyse.
type SetAside struct {
	File string `json:"file"`
	Type string `json:"type"`
}

// JSONSeries is one source, kind and metric over time.
type JSONSeries struct {
	Source string `json:"source"`
	Kind   string `json:"kind"`
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	// Snapshots counts all snapshots; Fitted those of the last segment.
	Snapshots int        `json:"snapshots"`
	Fitted    int        `json:"fitted"`
	Start     *time.Time `json:"start"`
	End       *time.Time `json:"end"`
	// Segments after the first start at a restart.
	Segments []JSONSegment `json:"segments"`
	// Total is the series' total over the fitted snapshots.
	Total JSONTrend `json:"total"`
	// HoursToLimit is when the in-use heap reaches memory_limit at the
	// current rate; null without a limit or growth.
	HoursToLimit *float64 `json:"hours_to_limit"`
	// Secondary series (inuse_objects) are fitted but not ranked.
	Secondary bool `json:"secondary"`
	// Gauge marks a runtime gauge of a metrics snapshot (go_goroutines,
	// go_memstats_*, process_*): a symptom of the whole process, shown as
	// a series of its own (metric is the gauge) and never as a finding.
	Gauge bool `json:"gauge"`
}

// JSONSegment is a restart inside a series.
type JSONSegment struct {
	// Start is the index of the segment's first snapshot.
	Start  int    `json:"start"`
	Reason string `json:"reason"`
}

// fittedPoints is a site's values over its series' fitted segment, with
// their times when known.
func fittedPoints(sf *diff.SeriesFit, site int) []Point {
	s := sf.Series
	values := s.Sites[site].Values()
	out := make([]Point, 0, len(s.Times)-sf.Start)
	for i := sf.Start; i < len(s.Times); i++ {
		p := Point{V: values[i]}
		if s.TimesKnown {
			p.T = tp(s.Times[i])
		}
		out = append(out, p)
	}
	return out
}

// JSONTrend is a fitted series (see package diff).
type JSONTrend struct {
	First        float64  `json:"first"`
	Last         float64  `json:"last"`
	Growth       float64  `json:"growth"`
	SlopePerHour *float64 `json:"slope_per_hour"`
	R2           *float64 `json:"r2"`
	PValue       *float64 `json:"p_value"`
	PMethod      string   `json:"p_method"`
	Trend        string   `json:"trend"`
}

// JSONFinding is one site's trend, rated. The fields of the schema
// come first.
type JSONFinding struct {
	Rank   int    `json:"rank"`
	Kind   string `json:"kind"`
	Source string `json:"source"`
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	Site   Site   `json:"site"`
	// Stack is the heaviest stack of the site, leaf first; StackFrames
	// the same with file and line.
	Stack       []string `json:"stack"`
	StackFrames []Frame  `json:"stack_frames" since:"1.1"`
	// First and Last are robust levels: medians of the first and last few
	// fitted snapshots; Growth = Last − First.
	First        float64  `json:"first"`
	Last         float64  `json:"last"`
	Growth       float64  `json:"growth"`
	SlopePerHour *float64 `json:"slope_per_hour"`
	R2           *float64 `json:"r2"`
	PValue       *float64 `json:"p_value"`
	Trend        string   `json:"trend"`
	Score        float64  `json:"score"`
	Severity     string   `json:"severity"`
	Rule         *Rule    `json:"rule"`
	// Series is the site's value at each fitted snapshot.
	Series []Point `json:"series"`

	// PMethod names the test behind p_value.
	PMethod string `json:"p_method"`
	// OLSSlopePerHour and MannKendallTau are the other statistics.
	OLSSlopePerHour *float64 `json:"ols_slope_per_hour"`
	MannKendallTau  *float64 `json:"mann_kendall_tau"`
	MannKendallP    *float64 `json:"mann_kendall_p"`
	Autocorrelation float64  `json:"autocorrelation"`
	// Share is the site's part of the series' growth (0…1).
	Share float64 `json:"share"`
	// Since is when linear growth began, when it did not from the start.
	Since    *time.Time `json:"since"`
	Evidence []string   `json:"evidence"`
	Warnings []string   `json:"warnings"`
	// Linked are findings of the other side (a metric for a heap or
	// goroutine finding, and back) of the same source growing with it.
	Linked []JSONLink `json:"linked"`
	// PerUnit is the growth per unit of --per's counter; null without it.
	PerUnit *JSONPerUnit `json:"per_unit"`

	// OverallSlopePerHour is the Theil–Sen slope over all fitted snapshots;
	// slope_per_hour is the pace now: the same, or the slope since growth
	// began late (since) or slowed (changed_at).
	OverallSlopePerHour *float64 `json:"overall_slope_per_hour"`
	// SlopeLowerPerHour is the one-sided 95 % lower confidence bound of the
	// pace (GLS under AR(1) errors, Student's t): what severity is rated on.
	SlopeLowerPerHour *float64 `json:"slope_lower_per_hour"`
	// PaceSince is when the measured pace starts (null: the first fitted
	// snapshot).
	PaceSince *time.Time `json:"pace_since"`
	// QValue is the Benjamini–Hochberg adjusted p-value of the pace among
	// the tested sites of the series: severity medium or worse needs
	// q < 0.001, which bounds the false-discovery rate.
	QValue *float64 `json:"q_value"`
	// Cost projects the pace's lower bound over a horizon against the
	// process: the basis of the severity.
	Cost JSONCost `json:"cost"`
	// Confidence is high, medium (a window under an hour, or under 8
	// snapshots) or low (5 snapshots or fewer, or growth that began too
	// late to tell from a cache filling); warnings say why.
	Confidence string `json:"confidence"`
	// Undecided: growth began too late to tell a leak from a fill (held
	// below medium).
	Undecided bool `json:"undecided"`
	// ChangedAt is when a plateau levelled off, a slowing leak slowed, a
	// fill ended or a step happened; null otherwise.
	ChangedAt *time.Time `json:"changed_at"`
	// Steps are a staircase's steps (the first snapshot of each new level).
	Steps []time.Time `json:"steps"`
	// ShapeDescription says the shape in words, with its times.
	ShapeDescription string `json:"shape_description"`
	// Members are the other sites of the same leak (one leaked goroutine
	// chain or object graph), grouped under this finding; GroupShare is
	// the summed share of this site and the members of its series.
	Members    []JSONMember `json:"members"`
	GroupShare float64      `json:"group_share"`
}

// JSONCost is what a finding's growth costs if it goes on (see
// diff.Cost): the pace's lower bound times horizon_hours is projected
// (in the finding's unit), fraction = projected / reference.
type JSONCost struct {
	HorizonHours float64  `json:"horizon_hours"`
	Projected    *float64 `json:"projected"`
	Reference    float64  `json:"reference"`
	Fraction     *float64 `json:"fraction"`
}

// JSONMember is one member site of a grouped finding.
type JSONMember struct {
	Kind         string   `json:"kind"`
	Metric       string   `json:"metric"`
	Unit         string   `json:"unit"`
	Site         Site     `json:"site"`
	Stack        []string `json:"stack"`
	StackFrames  []Frame  `json:"stack_frames" since:"1.1"`
	First        float64  `json:"first"`
	Last         float64  `json:"last"`
	Growth       float64  `json:"growth"`
	SlopePerHour *float64 `json:"slope_per_hour"`
	PValue       *float64 `json:"p_value"`
	Trend        string   `json:"trend"`
	Severity     string   `json:"severity"`
	Share        float64  `json:"share"`
	// Rule is the id of the rule the member matched, null for none.
	Rule *string `json:"rule"`
	// Tie says what tied the member into the group.
	Tie string `json:"tie"`
}

// JSONLink is a finding linked to another by correlated growth.
type JSONLink struct {
	Kind string `json:"kind"`
	// Site is the linked finding's function; Location the whole site, as
	// findings[].site.
	Site     string `json:"site" deprecated:"a string here, an object in findings[]: use location"`
	Location *Site  `json:"location" since:"1.1"`
	// R is Pearson's correlation of increments, or of levels when one of
	// the two grows by constant steps (By says which).
	R  float64 `json:"r"`
	By string  `json:"by"`
	N  int     `json:"n"`
}

// JSONPerUnit is a finding's slope over a counter's slope.
type JSONPerUnit struct {
	Counter string  `json:"counter"`
	Value   float64 `json:"value"`
	// Unit is what value counts per unit of the counter: bytes,
	// goroutines, inuse_objects or units (a metric).
	Unit string `json:"unit" since:"1.1"`
}

// Site is where a finding's memory or goroutines come from.
type Site struct {
	Function string `json:"function"`
	// File and Line are the site's source position; "" and 0 for a metric.
	File string `json:"file"`
	Line int    `json:"line"`
	// MetricType is gauge, counter or balance for a metric site, null for
	// a site of a profile.
	MetricType *string `json:"metric_type" since:"1.1"`
}

// Frame is one frame of a stack.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// Rule is the matched rule of a finding.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Remedy      string   `json:"remedy"`
	Explanation string   `json:"explanation"`
	References  []string `json:"references"`
	Metrics     []string `json:"metrics"`
	// Evidence says what matched.
	Evidence []string `json:"evidence"`
	// Versions compares the module versions in the finding's stack with
	// the versions that fixed this leak in the library (fixed_in).
	Versions []JSONVersion `json:"versions"`
}

// JSONVersion is a module version a finding runs, against the rule's fix.
type JSONVersion struct {
	Module    string `json:"module"`
	Running   string `json:"running"`
	FixedIn   string `json:"fixed_in"`
	Reference string `json:"reference"`
	Affected  bool   `json:"affected"`
	Note      string `json:"note"`
}

// Point is one value at one time (t null when the snapshots had no times).
type Point struct {
	T *time.Time `json:"t"`
	V int64      `json:"v"`
}

// JSONAsymmetry is growth in one source where its peers stay flat.
type JSONAsymmetry struct {
	Kind   string `json:"kind"`
	Metric string `json:"metric"`
	// Site is the growing site's function, null for a series' total;
	// Location the whole site, as findings[].site.
	Site        *string  `json:"site" deprecated:"a string here, an object in findings[]: use location"`
	Location    *Site    `json:"location" since:"1.1"`
	Growing     string   `json:"growing"`
	Steady      []string `json:"steady"`
	Description string   `json:"description"`
}

// num turns NaN and ±Inf into null.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func tp(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// jsonInputs says what r read. Paths and errors from inputs are made
// printable here, for every format built on it and for jq -r.
func jsonInputs(r *Report) Inputs {
	in := Inputs{Files: r.Files, Skipped: []FileNote{}, CountedOnce: []FileNote{}, SameMoment: []FileNote{}, SetAside: []SetAside{}, Warnings: []string{}}
	for _, w := range r.Warnings {
		in.Warnings = append(in.Warnings, profile.Printable(w))
	}
	for _, s := range r.Skipped {
		in.Skipped = append(in.Skipped, fileNote(s))
	}
	for _, s := range r.Set.Duplicates {
		in.CountedOnce = append(in.CountedOnce, fileNote(s))
	}
	for _, s := range r.Set.SameMoment {
		in.SameMoment = append(in.SameMoment, fileNote(s))
	}
	for _, s := range r.Set.SetAside {
		in.SetAside = append(in.SetAside, SetAside{profile.Printable(s.File), s.Type})
	}
	sum := r.Summary()
	in.Snapshots, in.Series, in.Sources = sum.Snapshots, sum.Series, sum.Sources
	if !sum.First.IsZero() {
		in.Start, in.End = tp(sum.First), tp(sum.Last)
	}
	return in
}

// BuildJSON turns a report into its JSON form.
func BuildJSON(r *Report) *JSONReport {
	j := &JSONReport{Schema: SchemaVersion, Generated: r.Generated.UTC(), MinSeverity: r.MinSeverity.String(),
		Series: []JSONSeries{}, Findings: []JSONFinding{}, Asymmetries: []JSONAsymmetry{}}
	if r.MemoryLimit > 0 {
		j.MemoryLimit = &r.MemoryLimit
	}
	j.Inputs, j.Generator = jsonInputs(r), r.Tool.generator()
	a := r.Analysis
	for _, sf := range a.Series {
		s := sf.Series
		js := JSONSeries{Source: s.Source, Kind: s.Kind.String(), Metric: s.Metric.Name, Unit: s.Metric.Unit,
			Snapshots: len(s.Times), Fitted: sf.Total.N, Segments: []JSONSegment{}, Total: jsonTrend(&sf.Total),
			HoursToLimit: num(sf.HoursToLimit), Secondary: s.Secondary}
		if s.TimesKnown && len(s.Times) > 0 {
			js.Start, js.End = tp(s.Times[0]), tp(s.Times[len(s.Times)-1])
		}
		for _, seg := range s.Segments[1:] {
			js.Segments = append(js.Segments, JSONSegment{seg.Start, seg.Reason})
		}
		j.Series = append(j.Series, js)
	}
	for _, f := range r.symptoms() {
		sf := &a.Series[f.Series]
		s := sf.Series
		name := s.Sites[f.Site].Site.Function
		js := JSONSeries{Source: s.Source, Kind: s.Kind.String(), Metric: name, Unit: gaugeUnit(name),
			Snapshots: len(s.Times), Fitted: f.Trend.N, Segments: []JSONSegment{}, Total: jsonTrend(&f.Trend),
			Secondary: true, Gauge: true}
		if s.TimesKnown && len(s.Times) > 0 {
			js.Start, js.End = tp(s.Times[0]), tp(s.Times[len(s.Times)-1])
		}
		j.Series = append(j.Series, js)
	}
	listed, notListed := r.listed()
	for _, f := range listed {
		j.Findings = append(j.Findings, jsonFinding(r, f, len(j.Findings)+1))
	}
	j.FindingsNotListed = notListed
	for _, as := range r.Asymmetries {
		ja := JSONAsymmetry{Kind: as.Kind.String(), Metric: as.Metric.Name, Growing: as.Growing, Description: as.Describe()}
		if as.Site.Function != "" {
			fn := as.Site.Function
			ja.Site = &fn
			loc := jsonSite(as.Kind, as.Site, nil)
			ja.Location = &loc
		}
		for _, p := range as.Steady {
			ja.Steady = append(ja.Steady, p.Source)
		}
		j.Asymmetries = append(j.Asymmetries, ja)
	}
	return j
}

func jsonTrend(t *diff.Trend) JSONTrend {
	return JSONTrend{First: t.Start, Last: t.End, Growth: t.Growth, SlopePerHour: num(t.Pace.Slope), R2: num(t.OLS.R2),
		PValue: num(t.P), PMethod: pMethod(t), Trend: t.Shape.String()}
}

// pMethod names the test behind a p-value, "none" when there is none.
func pMethod(t *diff.Trend) string {
	if num(t.P) == nil || t.PMethod == "" {
		return "none"
	}
	return t.PMethod
}

func fileNote(s profile.Skipped) FileNote {
	e := profile.Printable(s.Err.Error())
	return FileNote{File: profile.Printable(s.File), Reason: e, Error: e}
}

// jsonSite is a site as JSON: a metric's type moves out of File (where
// package profile keeps it) into MetricType. stk, when given, supplies a
// position the site lacks.
func jsonSite(k profile.Kind, site profile.Site, stk profile.Stack) Site {
	out := Site{Function: site.Function, File: site.File, Line: site.Line}
	if k == profile.KindMetrics {
		t := site.File
		return Site{Function: site.Function, MetricType: &t}
	}
	if out.File == "" {
		for _, fr := range stk {
			if fr.Function == site.Function {
				out.File, out.Line = fr.File, fr.Line
				break
			}
		}
	}
	return out
}

func jsonFrames(stk profile.Stack) []Frame {
	out := make([]Frame, len(stk))
	for i, fr := range stk {
		out[i] = Frame{Function: fr.Function, File: fr.File, Line: fr.Line}
	}
	return out
}

// index is f's index in r.Analysis.Findings, -1 if it is not one of them.
func (r *Report) index(f *diff.Finding) int {
	for i := range r.Analysis.Findings {
		if &r.Analysis.Findings[i] == f {
			return i
		}
	}
	return -1
}

func jsonFinding(r *Report, f *diff.Finding, rank int) JSONFinding {
	sf := &r.Analysis.Series[f.Series]
	s := sf.Series
	site := s.Sites[f.Site]
	t := &f.Trend
	jf := JSONFinding{Rank: rank, Kind: s.Kind.String(), Source: s.Source, Metric: s.Metric.Name, Unit: siteUnit(s, site.Site),
		Site:  jsonSite(s.Kind, site.Site, site.Stack),
		Stack: site.Stack.Functions(), StackFrames: jsonFrames(site.Stack), First: t.Start, Last: t.End, Growth: t.Growth,
		SlopePerHour: num(t.Pace.Slope), R2: num(t.OLS.R2), PValue: num(t.P), Trend: t.Shape.String(),
		Score: math.Round(f.Score*1000) / 1000, Severity: f.Severity.String(), PMethod: pMethod(t),
		OLSSlopePerHour: num(t.OLS.Slope), MannKendallTau: num(t.MK.Tau), MannKendallP: num(t.MK.P),
		Autocorrelation: math.Round(t.Autocorr*1000) / 1000, Share: math.Round(f.Share*1000) / 1000,
		Evidence: append([]string{}, f.Evidence...), Warnings: append([]string{}, t.Warnings...)}
	if s.TimesKnown && t.Since > 0 {
		jf.Since = tp(s.Times[sf.Start+t.Since])
	}
	jf.OverallSlopePerHour, jf.SlopeLowerPerHour, jf.QValue = num(t.TheilSen), num(t.Pace.Low), num(f.Q)
	if s.TimesKnown && t.Pace.From > 0 {
		jf.PaceSince = tp(s.Times[sf.Start+t.Pace.From])
	}
	jf.Cost = JSONCost{HorizonHours: f.Cost.Horizon, Projected: num(f.Cost.Projected), Reference: f.Cost.Ref, Fraction: num(f.Cost.Fraction)}
	jf.Confidence, jf.Undecided, jf.ShapeDescription = f.Confidence.String(), t.Undecided, shapePhrase(sf, t)
	if s.TimesKnown && t.ChangeAt > 0 {
		jf.ChangedAt = tp(s.Times[sf.Start+t.ChangeAt])
	}
	jf.Steps = []time.Time{}
	if s.TimesKnown {
		for _, i := range t.Steps {
			jf.Steps = append(jf.Steps, s.Times[sf.Start+i].UTC())
		}
	}
	jf.Members, jf.GroupShare = []JSONMember{}, math.Round(f.GroupShare*1000)/1000
	for _, m := range r.members(f) {
		ms := r.Analysis.Series[m.Series].Series
		msite := ms.Sites[m.Site]
		mt := &m.Trend
		jm := JSONMember{Kind: ms.Kind.String(), Metric: ms.Metric.Name, Unit: siteUnit(ms, msite.Site),
			Site:  jsonSite(ms.Kind, msite.Site, msite.Stack),
			Stack: msite.Stack.Functions(), StackFrames: jsonFrames(msite.Stack), First: mt.Start, Last: mt.End, Growth: mt.Growth,
			SlopePerHour: num(mt.Pace.Slope), PValue: num(mt.P), Trend: mt.Shape.String(), Severity: m.Severity.String(),
			Share: math.Round(m.Share*1000) / 1000, Tie: m.GroupWhy}
		if mm := r.match(m); mm != nil {
			id := mm.Rule.ID
			jm.Rule = &id
		}
		jf.Members = append(jf.Members, jm)
	}
	jf.Series = fittedPoints(sf, f.Site)
	jf.Linked = []JSONLink{}
	if i := r.index(f); i >= 0 {
		for _, l := range r.Links {
			other := -1
			switch i {
			case l.Metric:
				other = l.Profile
			case l.Profile:
				other = l.Metric
			}
			if other < 0 {
				continue
			}
			of := &r.Analysis.Findings[other]
			by := "increments"
			if l.Levels {
				by = "levels"
			}
			os := r.Analysis.Series[of.Series].Series
			osite := os.Sites[of.Site]
			loc := jsonSite(os.Kind, osite.Site, osite.Stack)
			jf.Linked = append(jf.Linked, JSONLink{Kind: os.Kind.String(), Site: osite.Site.Function, Location: &loc,
				R: math.Round(l.R*1000) / 1000, By: by, N: l.N})
		}
		if v, ok := r.PerUnit[i]; ok {
			jf.PerUnit = &JSONPerUnit{Counter: r.Per, Value: v, Unit: diff.PerUnitUnit(s, site.Site)}
		}
	}
	if m := r.match(f); m != nil {
		jf.Rule = &Rule{ID: m.Rule.ID, Title: m.Rule.Title, Remedy: m.Rule.Remedy, Explanation: m.Rule.Explanation,
			References: append([]string{}, m.Rule.References...), Metrics: append([]string{}, m.Rule.Metrics...), Evidence: m.Evidence,
			Versions: []JSONVersion{}}
		for _, v := range m.Versions {
			jf.Rule.Versions = append(jf.Rule.Versions, JSONVersion{Module: v.Module, Running: v.Running, FixedIn: v.Fix.Version,
				Reference: v.Fix.Reference, Affected: v.Affected, Note: v.Note()})
		}
	}
	return jf
}

// WriteJSON writes the report as one JSON object and a newline.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(BuildJSON(r))
}
