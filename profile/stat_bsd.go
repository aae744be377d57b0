//go:build darwin || freebsd || netbsd

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
	return fileStat{
		size:  fi.Size(),
		mtime: fi.ModTime().UnixNano(),
		ctime: int64(st.Ctimespec.Sec)*1e9 + int64(st.Ctimespec.Nsec),
		ino:   uint64(st.Ino),
		dev:   uint64(st.Dev),
	}, true
}
