package options

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ParseSize reads a byte size: a number with an optional unit, IEC (KiB,
// MiB, GiB, TiB) or SI (KB, MB, GB, TB), or plain bytes ("B" or none).
// GOMEMLIMIT-style values ("4GiB") and Kubernetes quantities ("4Gi",
// "500M", "129e6") read the same.
var sizeRE = regexp.MustCompile(`^([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)$`)

func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512MiB, 2GB or a Kubernetes quantity such as 4Gi)", s)
	}
	num, unit := m[1], m[2]
	// Kubernetes quantities (Ki, Mi, Gi, …; k, M, G, …) and GOMEMLIMIT's
	// units (KiB, MiB, …) both mean what they say.
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12, "p": 1e15, "pb": 1e15,
		"ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40, "pi": 1 << 50,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
	}[strings.ToLower(unit)]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, or Ki, Mi, Gi, Ti, k, M, G, T as Kubernetes writes them)", s, unit)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512MiB or 2GB)", s)
	}
	v := f * mult
	if v < 1 || v > 1<<62 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int64(v), nil
}
