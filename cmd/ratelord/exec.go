package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/ratelord/ratelord/client"
)

func execCmd() *command {
	return &command{
		name:    "exec",
		args:    "POOL [--cost N] [--identity X] [--priority P] [--wait D] [--ttl D] -- CMD [ARGS...]",
		summary: "run a command under a lease: acquire (waiting), run, release",
		help: `Acquires COST units of POOL, waiting up to --wait (default 10m) for them,
then runs CMD with stdin, stdout and stderr passed through, and releases the
lease when CMD ends, whether it succeeded or not:

    ratelord exec github-core --identity ci -- gh api repos/OWNER/REPO

While waiting, each request lets the daemon hold it for up to 60s, and a
denial whose retry time still fits in --wait is asked again at that time
(so concurrency limits are waited out too). SIGINT and SIGTERM abort the
wait, or are passed on to CMD once it runs.

Exits with CMD's exit code (128+N when signal N ended it), 127 when CMD is
not found and 126 when it cannot run (nothing is charged then), 3 when the
wait runs out. CMD sees RATELORD_LEASE_ID and RATELORD_URL, so it may settle
the lease itself ('ratelord settle "$RATELORD_LEASE_ID" COST'). Give a --ttl
longer than CMD runs: an expired lease frees its concurrency slot early.
--json is ignored: stdout belongs to CMD.`,
		run: runExec,
	}
}

func runExec(c *cli, cmd *command, args []string) int {
	fset := c.flagSet("ratelord exec")
	f := addAcquireFlags(fset, 10*time.Minute)
	p, err := c.parse(fset, args, false)
	switch {
	case err != nil:
	case len(p.pos) != 1:
		err = fmt.Errorf("want exactly one POOL before --, got %q", p.pos)
	case len(p.after) == 0:
		err = errors.New("want -- and the command to run after POOL")
	}
	var req client.AcquireRequest
	if err == nil {
		req, err = f.request(p.pos[0])
	}
	if err != nil {
		return c.usageError(cmd, fset, err)
	}
	cl, err := c.client()
	if err != nil {
		return c.usageError(cmd, fset, err)
	}
	cl.OnResponse = nil
	// Look the command up first, so that a typo charges nothing.
	path, err := exec.LookPath(p.after[0])
	if err != nil {
		return c.cannotRun(p.after[0], err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &relay{cancel: cancel}
	sigs := make(chan os.Signal, 4)
	c.notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer c.stopNotify(sigs)
	done := make(chan struct{})
	defer close(done)
	go r.run(sigs, done)

	g, err := c.acquireWaiting(ctx, cl, req, *f.wait)
	if sig := r.signal(); sig != nil {
		fmt.Fprintf(c.stderr, "ratelord: %s while waiting for %s\n", sig, poolNames(req))
		if err == nil {
			c.releaseAfter(cl, g.LeaseID)
		}
		return signalExit(sig)
	}
	if err != nil {
		return c.fail(err)
	}

	child := exec.Command(path, p.after[1:]...)
	child.Args[0] = p.after[0]
	child.Stdin, child.Stdout, child.Stderr = c.stdin, c.stdout, c.stderr
	child.Env = append(os.Environ(), "RATELORD_LEASE_ID="+g.LeaseID, "RATELORD_URL="+c.url)
	sig, err := r.start(child)
	switch {
	case sig != nil:
		c.releaseAfter(cl, g.LeaseID)
		return signalExit(sig)
	case err != nil:
		// Nothing ran, so nothing was spent: refund the grant.
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		if serr := cl.Settle(ctx, g.LeaseID, 0); serr != nil {
			c.releaseAfter(cl, g.LeaseID)
		}
		return c.cannotRun(p.after[0], err)
	}
	err = child.Wait()
	c.releaseAfter(cl, g.LeaseID)
	if child.ProcessState == nil {
		fmt.Fprintf(c.stderr, "ratelord: %s: %v\n", p.after[0], err)
		return exitError
	}
	return exitStatus(child.ProcessState)
}

// cannotRun reports a command that could not be started: 127 when it does
// not exist, 126 otherwise (as shells do).
func (c *cli) cannotRun(name string, err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(c.stderr, "ratelord: %s: command not found (check the name and PATH)\n", name)
		return exitNotFound
	}
	fmt.Fprintf(c.stderr, "ratelord: %s: cannot run: %v\n", name, err)
	return exitCannotRun
}

// releaseAfter closes the lease once the command is done. A lease the
// command settled itself, or that expired, is already closed: not an error.
func (c *cli) releaseAfter(cl *client.Client, lease string) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	err := cl.Release(ctx, lease)
	var api *client.APIError
	if err == nil || errors.As(err, &api) && api.Code == client.CodeUnknownLease {
		return
	}
	fmt.Fprintf(c.stderr, "ratelord: %v (the daemon closes it when its TTL ends)\n", err)
}

// exitStatus is the exit code to pass on for a finished command: its own,
// or 128+N when signal N ended it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// relay routes SIGINT and SIGTERM during exec: before the command starts, the
// first signal cancels the wait for quota; once it runs, every signal is
// passed on to it. The lock makes "start unless a signal came first" atomic,
// so that no signal falls between the two phases.
type relay struct {
	cancel func()

	mu   sync.Mutex
	proc *os.Process
	got  os.Signal // the signal that arrived before the command started
}

// run handles signals from sigs until done is closed.
func (r *relay) run(sigs <-chan os.Signal, done <-chan struct{}) {
	for {
		select {
		case s := <-sigs:
			r.mu.Lock()
			if r.proc != nil {
				r.proc.Signal(s)
			} else if r.got == nil {
				r.got = s
				r.cancel()
			}
			r.mu.Unlock()
		case <-done:
			return
		}
	}
}

// start starts cmd, unless a signal has already arrived: then it returns
// that signal and does not start cmd.
func (r *relay) start(cmd *exec.Cmd) (os.Signal, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got != nil {
		return r.got, nil
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.proc = cmd.Process
	return nil, nil
}

// signal returns the signal that arrived before the command started, if any.
func (r *relay) signal() os.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got
}
