package rules

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadRefusesWhatIsNoRuleFile: a FIFO, a device, a directory and a
// file over MaxFileSize are refused at once, by name, without being read;
// a rule file is read.
func TestLoadRefusesWhatIsNoRuleFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil { // sparse: 2 GiB of nothing on disk
		t.Fatal(err)
	}
	f.Close()
	good := "builtin.yaml"
	for _, tc := range []struct{ path, want string }{
		{fifo, "not a regular file (a FIFO)"},
		{"/dev/zero", "not a regular file (a character device)"},
		{dir, "is a directory"},
		{big, "larger than any rule file"},
		{good, ""},
	} {
		_, err := Load(tc.path) // a FIFO opened for reading would block here

		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
		}
	}
}
