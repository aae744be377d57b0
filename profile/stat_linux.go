package profile

import (
	"io/fs"
	"syscall"
)

// statOf is what a load state trusts of a file without reading it: its
// size, modification and change times, inode and device. ok is false
// where the platform does not say.
func statOf(fi fs.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStatOf(fi, st.Ctim.Sec, st.Ctim.Nsec, st.Ino, uint64(st.Dev)), true
}
