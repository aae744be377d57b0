package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// niceStep is the smallest step of 1, 2 or 5 × 10^k (× base^e for bytes, so
// that ticks fall on whole KiB or MiB) that cuts span into at most max
// intervals.
func niceStep(span float64, unit string, max int) float64 {
	if span <= 0 {
		return 1
	}
	base := 1.0
	if unit == "bytes" {
		for base*1024 <= span {
			base *= 1024
		}
	}
	raw := span / base / float64(max)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := m * mag * base; span/s <= float64(max) {
			if unit != "bytes" || s >= 1 {
				return math.Max(s, 1) // values are integers
			}
		}
	}
	return 10 * mag * base
}

// timeSteps are the intervals time ticks fall on.
var timeSteps = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour}

// timeTicks are round times within [first, last], at most max of them.
func timeTicks(first, last time.Time, max int) []time.Time {
	span := last.Sub(first)
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if span/s <= time.Duration(max) {
			step = s
			break
		}
	}
	var out []time.Time
	for t := first.UTC().Truncate(step); !t.After(last); t = t.Add(step) {
		if !t.Before(first) {
			out = append(out, t)
		}
		if len(out) > max+1 {
			break
		}
	}
	return out
}

// tickLayout shows seconds on short spans and dates on long ones.
func tickLayout(span time.Duration) string {
	switch {
	case span < 10*time.Minute:
		return "15:04:05"
	case span < 24*time.Hour:
		return "15:04"
	}
	return "01-02 15:04"
}

// chart draws values over the fitted snapshots as an SVG line chart with the
// Theil–Sen line dashed over it, round ticks on both axes. base says where
// the y axis starts when that is not zero ("" when it is).
func chart(s *profile.Series, start int, values []int64, tr *diff.Trend, width, height int) (svg template.HTML, base string) {
	const padL, padR, padT, padB = 72, 16, 10, 26
	n := len(s.Times) - start
	if n < 1 {
		return "", ""
	}
	xs := make([]float64, n)
	for i := range xs {
		if s.TimesKnown {
			xs[i] = s.Times[start+i].Sub(s.Times[start]).Seconds()
		} else {
			xs[i] = float64(i)
		}
	}
	lo, hi := float64(values[start]), float64(values[start])
	for _, v := range values[start:] {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if lo > 0 && lo < hi/3 {
		lo = 0
	}
	if hi == lo { // a flat series: centre it
		lo, hi = lo-1, hi+1
	}
	unit := s.Metric.Unit
	step := niceStep(hi-lo, unit, 4)
	lo, hi = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if lo > 0 {
		base = humanValue(unit, int64(lo), false)
	}
	span := xs[n-1]
	if span == 0 {
		span = 1
	}
	pw, ph := float64(width-padL-padR), float64(height-padT-padB)
	px := func(x float64) float64 { return float64(padL) + x/span*pw }
	py := func(y float64) float64 { return float64(padT) + (1-(y-lo)/(hi-lo))*ph }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="values over time">`, width, height, width, height)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" class="plot"/>`, padL, padT, pw, ph)
	sc := commonScale(unit, int64(lo), int64(hi))
	for y := lo; y <= hi+step/2; y += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, padL, width-padR, py(y), py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="ylab">%s</text>`, padL-6, py(y)+4, html.EscapeString(sc.format(int64(math.Round(y)), false)))
	}
	if s.TimesKnown && n > 1 {
		first, last := s.Times[start], s.Times[len(s.Times)-1]
		layout := tickLayout(last.Sub(first))
		for _, t := range timeTicks(first, last, max(2, (width-padL-padR)/90)) {
			x := px(t.Sub(first).Seconds())
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" class="grid"/>`, x, x, padT, float64(padT)+ph)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="xlab" text-anchor="middle">%s</text>`, x, height-8, t.Format(layout))
		}
	}
	var pts []string
	for i, x := range xs {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(x), py(float64(values[start+i]))))
	}
	fmt.Fprintf(&b, `<polyline points="%s" class="series"/>`, strings.Join(pts, " "))
	if n <= 60 {
		for _, p := range pts {
			xy := strings.SplitN(p, ",", 2)
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="2" class="dot"/>`, xy[0], xy[1])
		}
	}
	if !math.IsNaN(tr.TheilSen) && tr.N >= 3 {
		// TheilSen is per hour, xs in seconds.
		y0 := tr.TheilSenIntercept
		y1 := tr.TheilSenIntercept + tr.TheilSen*xs[n-1]/3600
		if !s.TimesKnown {
			y1 = tr.TheilSenIntercept + tr.TheilSen*xs[n-1]
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="fit"><title>Theil–Sen fit</title></line>`,
			px(0), py(math.Max(math.Min(y0, hi), lo)), px(xs[n-1]), py(math.Max(math.Min(y1, hi), lo)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), base
}

// chartCaption says what a chart shows, in which unit, over which span.
func chartCaption(what string, s *profile.Series, start int, base string) string {
	unit := s.Metric.Unit
	if unit == "count" && s.Kind != profile.KindMetrics {
		unit = s.Metric.Name // goroutines, inuse_objects
	}
	c := fmt.Sprintf("%s, %s at each snapshot", what, unit)
	if s.TimesKnown && len(s.Times) > start {
		c += ", " + spanText(s.Times[start], s.Times[len(s.Times)-1]) + " UTC"
	}
	c += "; dashed: Theil–Sen fit"
	if base != "" {
		c += "; the y axis starts at " + base + ", not zero"
	}
	return c
}
