// Package options turns the reading options that leakdiff analyze and
// leakdiff-beam share (how sites are chosen, how sources are named, how
// large a snapshot may be) into profile.LoadOptions, with one set of
// checks and messages for both.
package options

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/leakdiff/leakdiff/profile"
)

// Load holds those options as flags give them.
type Load struct {
	// Granularity is "function" or "line"; Site "auto" or "leaf".
	Granularity, Site string
	// SiteRegexp picks the leaf-most matching frame as a site; SiteSkip
	// adds frames that are never a site.
	SiteRegexp string
	SiteSkip   []string
	// Source, SourceRegexp and SourceLabel name sources (see
	// profile.LoadOptions).
	Source, SourceRegexp, SourceLabel string
	// MaxSize bounds a snapshot on disk and inflated ("128MiB").
	MaxSize string
}

// DefaultLoad returns the defaults of the flags.
func DefaultLoad() Load {
	return Load{Granularity: "function", Site: "auto", MaxSize: "128MiB"}
}

// Options checks the values and builds the profile options. Errors name
// the flag and what it allows.
func (o *Load) Options() (profile.LoadOptions, error) {
	var lo profile.LoadOptions
	sp := profile.DefaultSitePolicy()
	switch o.Granularity {
	case "function", "":
	case "line":
		sp.Granularity = profile.ByLine
	default:
		return lo, fmt.Errorf("--granularity must be one of function, line (got %q)", o.Granularity)
	}
	switch o.Site {
	case "auto", "":
	case "leaf":
		sp.Mode = profile.SiteLeaf
	default:
		return lo, fmt.Errorf("--site must be one of auto, leaf (got %q)", o.Site)
	}
	if o.SiteRegexp != "" {
		re, err := regexp.Compile(o.SiteRegexp)
		if err != nil {
			return lo, fmt.Errorf("--site-regexp: %v", err)
		}
		sp.Mode, sp.Match = profile.SiteMatch, re
	}
	for _, s := range o.SiteSkip {
		re, err := regexp.Compile(s)
		if err != nil {
			return lo, fmt.Errorf("--site-skip: %v", err)
		}
		sp.Machinery = append(sp.Machinery, profile.RegexpRule("user", "--site-skip "+s, re))
	}
	if o.SourceRegexp != "" {
		re, err := regexp.Compile(o.SourceRegexp)
		if err != nil {
			return lo, fmt.Errorf("--source-regexp: %v", err)
		}
		lo.SourceRegexp = re
	}
	size := o.MaxSize
	if size == "" {
		size = DefaultLoad().MaxSize
	}
	n, err := ParseSize(size)
	if err != nil {
		return lo, fmt.Errorf("--max-snapshot-size: %v", err)
	}
	lo.Decode.Sites = sp
	lo.Decode.MaxBytes = n
	lo.Source = o.Source
	lo.SourceLabel = o.SourceLabel
	return lo, nil
}

// Generated is a report's time: now, or SOURCE_DATE_EPOCH (Unix seconds)
// when set, so that reports can be reproduced byte for byte.
func Generated() time.Time {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Now().UTC()
}
