package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/leakdiff/leakdiff/diff"
	"github.com/leakdiff/leakdiff/profile"
)

// scale is a unit prefix shared by a whole column, so readers compare
// digits, not units (benchunit.CommonScale does the same).
type scale struct {
	div    float64
	suffix string
}

// commonScale picks the scale for values of a unit ("bytes" or "count")
// from the largest magnitude among them.
func commonScale(unit string, vals ...int64) scale {
	var m float64
	for _, v := range vals {
		m = math.Max(m, math.Abs(float64(v)))
	}
	if unit == "bytes" {
		for _, s := range []scale{{1 << 40, " TiB"}, {1 << 30, " GiB"}, {1 << 20, " MiB"}, {1 << 10, " KiB"}} {
			if m >= s.div {
				return s
			}
		}
		return scale{1, " B"}
	}
	for _, s := range []scale{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if m >= 10*s.div {
			return s
		}
	}
	return scale{1, ""}
}

// format prints v in the scale; signed adds "+" to positive values.
func (s scale) format(v int64, signed bool) string {
	var str string
	if v == 0 {
		return "0"
	}
	if s.div == 1 {
		str = fmt.Sprintf("%d%s", v, s.suffix)
	} else {
		// Three significant digits, as benchstat prints.
		x := float64(v) / s.div
		if math.Abs(x) < 0.0005 || s.unitOf() == "count" && math.Abs(x) < 1 {
			// Would print as zero: show it in its own, smaller unit.
			return commonScale(s.unitOf(), v).format(v, signed)
		}
		prec := 0
		switch ax := math.Abs(x); {
		case ax < 1:
			prec = 3
		case ax < 10:
			prec = 2
		case ax < 100:
			prec = 1
		}
		str = strings.TrimSpace(fmt.Sprintf("%.*f", prec, x)) + s.suffix
	}
	if signed && v > 0 {
		str = "+" + str
	}
	return str
}

// unitOf recovers the unit family of a scale.
func (s scale) unitOf() string {
	if strings.HasSuffix(s.suffix, "B") {
		return "bytes"
	}
	return "count"
}

// humanValue formats one value in its own scale.
func humanValue(unit string, v int64, signed bool) string {
	return commonScale(unit, v).format(v, signed)
}

// siteUnit is the unit of a site's values: its series' unit, or for a
// metric site its own (bytes for a *_bytes gauge or balance).
func siteUnit(s *profile.Series, site profile.Site) string {
	if s.Kind == profile.KindMetrics {
		return gaugeUnit(site.Function)
	}
	return s.Metric.Unit
}

// withSiteUnit returns sf, or for a metric site of another unit (a *_bytes
// gauge) a copy whose series has the site's unit, so that every level and
// slope phrased from it carries that unit.
func withSiteUnit(sf *diff.SeriesFit, site profile.Site) *diff.SeriesFit {
	u := siteUnit(sf.Series, site)
	if u == sf.Series.Metric.Unit {
		return sf
	}
	s := *sf.Series
	s.Metric.Unit = u
	c := *sf
	c.Series = &s
	return &c
}
