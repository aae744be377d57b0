package cmd

import (
	"os"
	"strconv"
	"strings"
)

// umask is the process's file mode creation mask, which a new report's
// permissions honour as a shell redirection's would: read from
// /proc/self/status where Linux gives it (reading it changes nothing, unlike
// umask(2)), else taken to be 022.
func umask() os.FileMode {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return os.FileMode(m) & os.ModePerm
				}
			}
		}
	}
	return 0o022
}
