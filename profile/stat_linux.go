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
		ctime: st.Ctim.Sec*1e9 + st.Ctim.Nsec,
		ino:   st.Ino,
		dev:   uint64(st.Dev),
	}, true
}
