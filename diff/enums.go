package diff

import (
	"fmt"
	"strings"
)

// Shape is the form of a series over its last segment.
type Shape int

const (
	// ShapeFlat: no significant trend.
	ShapeFlat Shape = iota
	// ShapeLinear: significant growth that is still going on at the end:
	// the shape of a leak.
	ShapeLinear
	// ShapePlateau: grew, then levelled off (warm-up, a cache filling).
	ShapePlateau
	// ShapeStep: a one-time jump, flat before and after.
	ShapeStep
	// ShapeSawtooth: repeated growth and release.
	ShapeSawtooth
	// ShapeDecline: significant decrease.
	ShapeDecline
	// ShapeStaircase: climbs in a few abrupt steps, flat between them, and
	// is still climbing at the end: a map or slice that never forgets grows
	// by doubling its storage. A leak.
	ShapeStaircase
	// ShapeSlowing: grows, then more slowly from a knot on, but the tail
	// still rises significantly: a leak whose rate fell (traffic dropped).
	ShapeSlowing
	// ShapeFill: flat, then a rise that started late, then flat again (a
	// bounded cache switched on mid-series that filled up). Not a leak.
	ShapeFill
)

var shapeNames = [...]string{"flat", "linear", "plateau", "step", "sawtooth", "decline", "staircase", "slowing", "fill"}

func (s Shape) String() string {
	if s < 0 || int(s) >= len(shapeNames) {
		return fmt.Sprintf("Shape(%d)", int(s))
	}
	return shapeNames[s]
}

// MarshalText implements encoding.TextMarshaler.
func (s Shape) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(shapeNames) {
		return nil, fmt.Errorf("invalid shape %d", int(s))
	}
	return []byte(shapeNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Shape) UnmarshalText(b []byte) error {
	for i, n := range shapeNames {
		if n == string(b) {
			*s = Shape(i)
			return nil
		}
	}
	return fmt.Errorf("unknown shape %q (want one of %s)", b, strings.Join(shapeNames[:], ", "))
}

// Severity ranks findings; higher is worse.
type Severity int

const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(severityNames) {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; flags use it too.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if n == string(b) {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q (want one of info, low, medium, high, critical)", b)
}

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, error) {
	var v Severity
	err := v.UnmarshalText([]byte(s))
	return v, err
}

// Confidence is how far a finding's verdict can be trusted.
type Confidence int

const (
	ConfidenceLow Confidence = iota
	ConfidenceMedium
	ConfidenceHigh
)

var confidenceNames = [...]string{"low", "medium", "high"}

func (c Confidence) String() string {
	if c < 0 || int(c) >= len(confidenceNames) {
		return fmt.Sprintf("Confidence(%d)", int(c))
	}
	return confidenceNames[c]
}

// MarshalText implements encoding.TextMarshaler.
func (c Confidence) MarshalText() ([]byte, error) {
	if c < 0 || int(c) >= len(confidenceNames) {
		return nil, fmt.Errorf("invalid confidence %d", int(c))
	}
	return []byte(confidenceNames[c]), nil
}
