//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package queue

import (
	"os"
	"path/filepath"
)

// lockDir on this platform (Solaris, illumos, AIX, Plan 9, js/wasm,
// wasip1) only opens the directory's LOCK file. flock(2) is not in the
// standard library here; fcntl locks belong to the process, so they would
// not shut out a second File in the same one, and any close of the file
// releases them; and a lock file created exclusively would outlive a
// crashed writer and lock the queue out for good. Keeping to one writer
// per directory is then the caller's duty, as OpenFile's documentation
// says.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
}

// unlockDir closes what lockDir opened.
func unlockDir(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close()
}
