package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ratelord/ratelord/sqlite"
)

// The helper process reads its database path and sync mode from these.
const (
	envHelperDB   = "RATELORD_SQLITE_HELPER_DB"
	envHelperSync = "RATELORD_SQLITE_HELPER_SYNC"
)

// TestKill9 checks, across a process boundary, that every event a child
// process saw acknowledged by Durable survives a SIGKILL of that process.
func TestKill9(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, mode := range []string{sqlite.SyncFull, sqlite.SyncNormal} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			testKill9(t, mode)
		})
	}
}

func testKill9(t *testing.T, mode string) {
	const wantAcks = 300
	path := TempPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHelperDB+"="+path, envHelperSync+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	var acked []int64
	sc := bufio.NewScanner(out)
	for sc.Scan() { // until the pipe closes after the kill
		seq, ok := strings.CutPrefix(sc.Text(), "durable ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(seq, 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		acked = append(acked, n)
		if len(acked) == wantAcks && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed || len(acked) < wantAcks {
		t.Fatalf("child exited (%v) after %d acknowledged events, want %d", err, len(acked), wantAcks)
	}

	db := MustOpen(t, path, mode) // the kernel released the child's lock
	stored := make(map[int64]int)
	for _, e := range MustReplay(t, db, 0) {
		stored[e.Seq]++
	}
	for _, seq := range acked {
		if stored[seq] != 1 {
			t.Errorf("acknowledged event %d stored %d times, want 1", seq, stored[seq])
		}
	}
	t.Logf("%d events acknowledged before SIGKILL, %d stored", len(acked), len(stored))
}

// TestHelperProcess is the child of TestKill9: it appends events from
// several goroutines forever and prints each seq once Durable returns.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(envHelperDB)
	if path == "" {
		t.Skip("run by TestKill9")
	}
	db := &sqlite.DB{Path: path, Sync: os.Getenv(envHelperSync)}
	if err := db.Open(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	q := &Sequencer{Store: db}
	w := bufio.NewWriter(os.Stdout)
	acks := make(chan int64, 64)
	for range 8 {
		go func() {
			for {
				seq := q.Append()
				if err := db.Durable(context.Background(), seq); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				acks <- seq
			}
		}()
	}
	for seq := range acks { // one writer of stdout, flushed per line
		fmt.Fprintf(w, "durable %d\n", seq)
		w.Flush()
	}
}
