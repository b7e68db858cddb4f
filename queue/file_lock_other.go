//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package queue

import (
	"os"
	"path/filepath"
)

// lockDir on this platform only opens the directory's LOCK file: the
// standard library offers no advisory file lock here, and a lock file
// created exclusively would outlive a crashed writer and lock the queue
// out for good. Keeping to one writer per directory is then the caller's
// duty, as the File documentation says.
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
