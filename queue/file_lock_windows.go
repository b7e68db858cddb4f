//go:build windows

package queue

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// lockDir takes an exclusive LockFileEx lock on the first byte of the
// directory's LOCK file. Windows locks belong to the file handle, so a
// second OpenFile of the same directory, in this process or another, fails
// with ErrLocked; when the holder dies, the system closes its handles and
// releases the lock, so a crashed writer leaves no stale lock behind
// (Windows documents that release as prompt but not immediate).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	err = windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY,
		0, 1, 0, new(windows.Overlapped))
	if err != nil {
		_ = f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, &LockedError{Dir: dir}
		}
		return nil, &os.PathError{Op: "LockFileEx", Path: f.Name(), Err: err}
	}
	return f, nil
}

// unlockDir releases the lock taken by lockDir. It unlocks before closing:
// closing alone releases the lock too, but only once the system gets to
// it, and a File reopened at once must find the directory free.
func unlockDir(f *os.File) error {
	if f == nil {
		return nil
	}
	uerr := windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
	if err := f.Close(); err != nil {
		return err
	}
	if uerr != nil {
		return &os.PathError{Op: "UnlockFileEx", Path: f.Name(), Err: uerr}
	}
	return nil
}
