package fleet

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/diff"
)

// SummarySchema names the fleet summary's schema. Within v1 fields are only
// ever added.
const SummarySchema = "leakdiff.fleet/v1"

// SourceResult is what Analyse tells Summarise about one source: where its
// report is and a brief of what it lists.
type SourceResult struct {
	Service   string          `json:"service"`
	Source    string          `json:"source"`
	Report    string          `json:"report"`
	Files     int             `json:"files"`
	Snapshots int             `json:"snapshots"`
	Series    []SeriesResult  `json:"series"`
	Findings  []FindingResult `json:"findings"`
}

// SeriesResult is one series' total.
type SeriesResult struct {
	Kind         string  `json:"kind"`
	Metric       string  `json:"metric"`
	Unit         string  `json:"unit"`
	Shape        string  `json:"shape"`
	Rising       bool    `json:"rising"`
	SlopePerHour float64 `json:"slope_per_hour"`
}

// FindingResult is one listed finding (a lead, with its members).
type FindingResult struct {
	Kind         string   `json:"kind"`
	Metric       string   `json:"metric"`
	Unit         string   `json:"unit"`
	Site         string   `json:"site"`
	Rule         string   `json:"rule"`
	Severity     string   `json:"severity"`
	Shape        string   `json:"shape"`
	SlopePerHour float64  `json:"slope_per_hour"`
	Share        float64  `json:"share"`
	Members      []string `json:"members"` // "kind site"
}

// Summary is the fleet summary (schema leakdiff.fleet/v1): per service, the
// sites and rules that leak in its sources and the outliers.
type Summary struct {
	Schema    string    `json:"schema"`
	Generated time.Time `json:"generated"`
	// MinSeverity is the least severity that counts as leaking.
	MinSeverity string        `json:"min_severity"`
	Inputs      SummaryInputs `json:"inputs"`
	// Services are sorted by the number of leaking sources, then name.
	Services []Service `json:"services"`
}

// SummaryInputs says what the pipeline read.
type SummaryInputs struct {
	// Files counts the files that gave a snapshot (every one of them an
	// analysed or counted-once snapshot of some source); Skipped lists
	// those that did not, with the reason.
	Files     int        `json:"files"`
	Snapshots int        `json:"snapshots"`
	Sources   int        `json:"sources"`
	Services  int        `json:"services"`
	Skipped   []FileNote `json:"skipped"`
}

// Service is one service's sources and what leaks in them.
type Service struct {
	Service string `json:"service"`
	// Sources counts its sources; LeakingSources those with a finding at
	// or above min_severity.
	Sources        int `json:"sources"`
	LeakingSources int `json:"leaking_sources"`
	// Sites leak in at least one source, most widespread first.
	Sites []FleetSite `json:"sites"`
	// Rules name the leaks, most widespread first.
	Rules []RuleCount `json:"rules"`
	// Outliers are growth in a minority of the service's sources.
	Outliers []Outlier `json:"outliers"`
	// Reports lists each source's report.
	Reports []SourceReport `json:"reports"`
}

// FleetSite is a site that leaks (as a finding or as a member of one) in
// some sources of a service.
type FleetSite struct {
	Kind   string `json:"kind"`
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	Site   string `json:"site"`
	// Rule is the rule that names it most often; null for none.
	Rule *string `json:"rule"`
	// Leaking counts the sources it leaks in, of Of.
	Leaking int `json:"leaking"`
	Of      int `json:"of"`
	// TotalSlopePerHour sums its pace over those sources (where it leads
	// a finding: members carry no pace of their own here).
	TotalSlopePerHour float64 `json:"total_slope_per_hour"`
	// Worst are the three worst instances: severity, then pace.
	Worst []Instance `json:"worst"`
}

// Instance is one source where a site leaks.
type Instance struct {
	Source       string  `json:"source"`
	Severity     string  `json:"severity"`
	Shape        string  `json:"shape"`
	SlopePerHour float64 `json:"slope_per_hour"`
	Report       string  `json:"report"`
}

// RuleCount is a rule and the sources it names a leak in.
type RuleCount struct {
	Rule    string   `json:"rule"`
	Leaking int      `json:"leaking"`
	Of      int      `json:"of"`
	Sites   []string `json:"sites"`
}

// Outlier is growth in a minority of a service's sources (half or fewer)
// while the others, running the same program, do not grow: one pod of
// four.
type Outlier struct {
	Kind   string `json:"kind"`
	Metric string `json:"metric"`
	// Site is null for a series' total.
	Site        *string  `json:"site"`
	Growing     []string `json:"growing"`
	Steady      []string `json:"steady"`
	Description string   `json:"description"`
}

// SourceReport is a source and its report's path.
type SourceReport struct {
	Source string `json:"source"`
	Report string `json:"report"`
}

// Summarize builds the fleet summary from every source's result and every
// skipped file. Output depends only on the inputs, not on their order.
func Summarize(results []SourceResult, skipped []FileNote, minSeverity string, generated time.Time) *Summary {
	sum := &Summary{Schema: SummarySchema, Generated: generated.UTC(), MinSeverity: minSeverity,
		Inputs: SummaryInputs{Skipped: append([]FileNote{}, skipped...)}, Services: []Service{}}
	slices.SortFunc(sum.Inputs.Skipped, func(a, b FileNote) int { return cmp.Compare(a.File, b.File) })
	slices.SortFunc(results, func(a, b SourceResult) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Report, b.Report))
	})
	minSev, err := diff.ParseSeverity(minSeverity)
	if err != nil {
		minSev = diff.SeverityMedium
	}
	byService := map[string][]SourceResult{}
	var names []string
	for _, r := range results {
		sum.Inputs.Files += r.Files
		sum.Inputs.Snapshots += r.Snapshots
		if _, ok := byService[r.Service]; !ok {
			names = append(names, r.Service)
		}
		byService[r.Service] = append(byService[r.Service], r)
	}
	sum.Inputs.Sources = len(results)
	sum.Inputs.Services = len(names)
	for _, name := range names {
		sum.Services = append(sum.Services, summarizeService(name, byService[name], minSev))
	}
	slices.SortFunc(sum.Services, func(a, b Service) int {
		return cmp.Or(cmp.Compare(b.LeakingSources, a.LeakingSources), cmp.Compare(a.Service, b.Service))
	})
	return sum
}

func summarizeService(name string, rs []SourceResult, minSev diff.Severity) Service {
	svc := Service{Service: name, Sources: len(rs), Sites: []FleetSite{}, Rules: []RuleCount{}, Outliers: []Outlier{}, Reports: []SourceReport{}}
	type siteKey struct{ kind, metric, site string }
	sites := map[siteKey]*FleetSite{}
	leaking := map[siteKey]map[string]bool{}
	ruleVotes := map[siteKey]map[string]int{}
	type ruleAcc struct {
		sources map[string]bool
		sites   map[string]bool
	}
	rulesAt := map[string]*ruleAcc{}
	for _, r := range rs {
		svc.Reports = append(svc.Reports, SourceReport{Source: r.Source, Report: r.Report})
		leaks := false
		for _, f := range r.Findings {
			sev, err := diff.ParseSeverity(f.Severity)
			if err != nil || sev < minSev {
				continue
			}
			leaks = true
			add := func(kind, metric, unit, site string, lead bool) {
				k := siteKey{kind, metric, site}
				fs := sites[k]
				if fs == nil {
					fs = &FleetSite{Kind: kind, Metric: metric, Unit: unit, Site: site, Of: len(rs)}
					sites[k], leaking[k], ruleVotes[k] = fs, map[string]bool{}, map[string]int{}
				}
				if leaking[k][r.Source] {
					return
				}
				leaking[k][r.Source] = true
				fs.Leaking++
				in := Instance{Source: r.Source, Severity: f.Severity, Shape: f.Shape, Report: r.Report}
				if lead {
					fs.TotalSlopePerHour += f.SlopePerHour
					in.SlopePerHour = f.SlopePerHour
					if fs.Unit == "" {
						fs.Unit = unit
					}
				} else {
					in.Shape = "member of " + f.Site
				}
				fs.Worst = append(fs.Worst, in)
				if f.Rule != "" {
					ruleVotes[k][f.Rule]++
				}
			}
			add(f.Kind, f.Metric, f.Unit, f.Site, true)
			for _, m := range f.Members {
				kind, site, _ := strings.Cut(m, " ")
				metric := f.Metric
				if kind != f.Kind {
					metric = ""
				}
				add(kind, metric, "", site, false)
			}
			if f.Rule != "" {
				ra := rulesAt[f.Rule]
				if ra == nil {
					ra = &ruleAcc{sources: map[string]bool{}, sites: map[string]bool{}}
					rulesAt[f.Rule] = ra
				}
				ra.sources[r.Source] = true
				ra.sites[f.Site] = true
			}
		}
		if leaks {
			svc.LeakingSources++
		}
	}
	for k, fs := range sites {
		best, votes := "", 0
		for id, n := range ruleVotes[k] {
			if n > votes || n == votes && id < best {
				best, votes = id, n
			}
		}
		if best != "" {
			fs.Rule = &best
		}
		slices.SortFunc(fs.Worst, func(a, b Instance) int {
			sa, _ := diff.ParseSeverity(a.Severity)
			sb, _ := diff.ParseSeverity(b.Severity)
			return cmp.Or(cmp.Compare(sb, sa), cmp.Compare(b.SlopePerHour, a.SlopePerHour), cmp.Compare(a.Source, b.Source))
		})
		fs.Worst = fs.Worst[:min(3, len(fs.Worst))]
		svc.Sites = append(svc.Sites, *fs)
		// A site growing in a minority of the service's sources.
		if n := len(rs); n >= 2 && fs.Leaking*2 <= n {
			var growing, steady []string
			for _, r := range rs {
				if leaking[k][r.Source] {
					growing = append(growing, r.Source)
				} else {
					steady = append(steady, r.Source)
				}
			}
			site := fs.Site
			svc.Outliers = append(svc.Outliers, Outlier{Kind: fs.Kind, Metric: fs.Metric, Site: &site, Growing: growing, Steady: steady,
				Description: fmt.Sprintf("%s %s leaks in %d of the %d sources of %s (%s); the other %d, running the same program, do not", fs.Kind, fs.Site, len(growing), n, name, strings.Join(growing, ", "), len(steady))})
		}
	}
	slices.SortFunc(svc.Sites, func(a, b FleetSite) int {
		return cmp.Or(cmp.Compare(b.Leaking, a.Leaking), cmp.Compare(b.TotalSlopePerHour, a.TotalSlopePerHour),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.Site, b.Site))
	})
	for id, ra := range rulesAt {
		rc := RuleCount{Rule: id, Leaking: len(ra.sources), Of: len(rs)}
		for s := range ra.sites {
			rc.Sites = append(rc.Sites, s)
		}
		slices.Sort(rc.Sites)
		svc.Rules = append(svc.Rules, rc)
	}
	slices.SortFunc(svc.Rules, func(a, b RuleCount) int {
		return cmp.Or(cmp.Compare(b.Leaking, a.Leaking), cmp.Compare(a.Rule, b.Rule))
	})
	// Totals growing in a minority of the sources.
	type seriesKey struct{ kind, metric string }
	growing := map[seriesKey][]string{}
	present := map[seriesKey][]string{}
	for _, r := range rs {
		for _, sr := range r.Series {
			k := seriesKey{sr.Kind, sr.Metric}
			present[k] = append(present[k], r.Source)
			if sr.Rising {
				growing[k] = append(growing[k], r.Source)
			}
		}
	}
	var tkeys []seriesKey
	for k := range present {
		tkeys = append(tkeys, k)
	}
	slices.SortFunc(tkeys, func(a, b seriesKey) int { return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.metric, b.metric)) })
	for _, k := range tkeys {
		g, p := growing[k], present[k]
		if len(p) < 2 || len(g) == 0 || len(g)*2 > len(p) {
			continue
		}
		var steady []string
		for _, s := range p {
			if !slices.Contains(g, s) {
				steady = append(steady, s)
			}
		}
		svc.Outliers = append(svc.Outliers, Outlier{Kind: k.kind, Metric: k.metric, Growing: g, Steady: steady,
			Description: fmt.Sprintf("the %s %s total grows in %d of the %d sources of %s (%s); the other %d do not", k.kind, k.metric, len(g), len(p), name, strings.Join(g, ", "), len(steady))})
	}
	slices.SortFunc(svc.Outliers, func(a, b Outlier) int {
		as, bs := "", ""
		if a.Site != nil {
			as = *a.Site
		}
		if b.Site != nil {
			bs = *b.Site
		}
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Metric, b.Metric), cmp.Compare(as, bs))
	})
	return svc
}

// WriteMarkdown renders the summary for a ticket or a wiki page.
func WriteMarkdown(w io.Writer, s *Summary) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# leakdiff fleet summary\n\n")
	fmt.Fprintf(&b, "**Analysed:** %s, %s, %s in %s; %s skipped. Leaking means a finding %s or worse. Generated at %s.\n",
		plural(s.Inputs.Files, "file"), plural(s.Inputs.Snapshots, "snapshot"), plural(s.Inputs.Sources, "source"), plural(s.Inputs.Services, "service"),
		plural(len(s.Inputs.Skipped), "file"), s.MinSeverity, s.Generated.Format(time.RFC3339))
	for _, svc := range s.Services {
		name := svc.Service
		if name == "" {
			name = "(no service)"
		}
		fmt.Fprintf(&b, "\n## %s: %d of %d sources leak\n\n", mdText(name), svc.LeakingSources, svc.Sources)
		if len(svc.Sites) > 0 {
			fmt.Fprintln(&b, "| site | kind | rule | leaks in | total rate | worst |")
			fmt.Fprintln(&b, "|---|---|---|---:|---:|---|")
			for _, fs := range svc.Sites {
				rule := "—"
				if fs.Rule != nil {
					rule = "`" + *fs.Rule + "`"
				}
				var worst []string
				for _, in := range fs.Worst {
					worst = append(worst, fmt.Sprintf("%s (%s)", mdText(in.Source), in.Severity))
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %d of %d | %s | %s |\n", strings.ReplaceAll(fs.Site, "|", `\|`), fs.Kind, rule,
					fs.Leaking, fs.Of, rate(fs.Unit, fs.TotalSlopePerHour), strings.Join(worst, ", "))
			}
		}
		if len(svc.Rules) > 0 {
			fmt.Fprintln(&b)
			for _, rc := range svc.Rules {
				fmt.Fprintf(&b, "- rule `%s`: %d of %d sources\n", rc.Rule, rc.Leaking, rc.Of)
			}
		}
		if len(svc.Outliers) > 0 {
			fmt.Fprintln(&b, "\n**Outliers:**")
			fmt.Fprintln(&b)
			for _, o := range svc.Outliers {
				fmt.Fprintf(&b, "- %s\n", mdText(o.Description))
			}
		}
	}
	if len(s.Inputs.Skipped) > 0 {
		fmt.Fprintln(&b, "\n## Skipped inputs")
		fmt.Fprintln(&b)
		for _, n := range s.Inputs.Skipped {
			fmt.Fprintf(&b, "- `%s`: %s\n", strings.ReplaceAll(n.File, "`", "'"), mdText(n.Error))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// mdText escapes text from inputs for Markdown prose.
func mdText(s string) string {
	return strings.NewReplacer("\\", `\\`, "*", `\*`, "_", `\_`, "`", "'", "[", `\[`, "<", "&lt;", "|", `\|`, "\n", " ").Replace(s)
}

// rate says a total rate per hour in its unit.
func rate(unit string, perHour float64) string {
	if perHour == 0 {
		return "—"
	}
	if unit != "bytes" {
		return fmt.Sprintf("%+.3g/h", perHour)
	}
	v, u := perHour, "B"
	for _, next := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if math.Abs(v) < 1024 {
			break
		}
		v, u = v/1024, next
	}
	return fmt.Sprintf("%+.3g %s/h", v, u)
}
