package sqlite

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// LockedError is returned by Open when another process holds the
// database's lock file: two daemons must never share one database, or each
// would grant quota the other does not see.
type LockedError struct {
	Path string // the database path, as given in DB.Path
	PID  int    // the holder's process id; 0 when it could not be read
}

// Error tells the operator what to do.
func (e *LockedError) Error() string {
	holder := "another ratelord-d"
	if e.PID > 0 {
		holder = fmt.Sprintf("another ratelord-d (pid %d)", e.PID)
	}
	return fmt.Sprintf("database %s is in use by %s; stop it or pass a different --db", e.Path, holder)
}

// lockFile takes an exclusive, non-blocking flock on path+".lock" and writes
// the process id into it. The kernel drops the lock when the process dies,
// even by kill -9, so a stale lock file never blocks a restart. The file is
// never removed: removing it would let a second daemon lock a new file
// while the first still holds the old one.
func lockFile(path string) (*os.File, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, PID: readPID(f)}
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err != nil {
		unlockFile(f)
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	if _, err := f.WriteAt(pid, 0); err != nil {
		unlockFile(f)
		return nil, fmt.Errorf("write lock file: %w", err)
	}
	return f, nil
}

// unlockFile releases the lock taken by lockFile and closes the file.
func unlockFile(f *os.File) error {
	err := flock(f, syscall.LOCK_UN)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("release lock file: %w", err)
	}
	return nil
}

// flock calls flock(2) on f, retrying when a signal interrupts it.
func flock(f *os.File, how int) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = raw.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if ferr != syscall.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return ferr
}

// readPID returns the process id written in a lock file, or 0. The holder
// may not have written it yet, so an empty or partial file is not an error.
func readPID(f *os.File) int {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 32))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
