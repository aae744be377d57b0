package options

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a byte size: a number with an optional unit, IEC (KiB,
// MiB, GiB, TiB) or SI (KB, MB, GB, TB), or plain bytes ("B" or none).
// GOMEMLIMIT-style values ("4GiB") read the same.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return 0, fmt.Errorf("%q is not a size (want e.g. 512MiB or 2GB)", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}[strings.ToLower(unit)]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)", s, unit)
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
