// Command sdk calls the GitHub API through the ratelord Go SDK: an
// http.Client whose client.Transport acquires a unit of the github-core pool
// from a local ratelord-d before each request, reports GitHub's
// x-ratelimit-* answer headers back to it, and releases the lease when the
// body is closed. Every program that does the same shares one GitHub quota
// without exceeding it.
//
// Run a daemon with the example GitHub policy, then this program:
//
//	GITHUB_TOKEN=ghp_... go run ./cmd/ratelord-d --config examples/github.yaml &
//	GITHUB_TOKEN=ghp_... go run ./examples/sdk -n 3
//	go run ./examples/sdk -endpoint https://api.github.com/search/repositories?q=ratelimit
//
// Flags: -url (default $RATELORD_URL, else http://127.0.0.1:8090), -endpoint
// (default https://api.github.com/repos/golang/go), -n (requests, default
// 1), -wait (how long a request may wait for quota, default 30s). The
// program calls GitHub itself with $GITHUB_TOKEN, when set; without it
// GitHub allows 60 requests an hour per IP, far below the policy's 5000, so
// the pool is corrected down by the first answer's headers. It needs the
// network; no test runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ratelord/ratelord/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// run does the work of main and returns the exit code: 0 when every request
// went out, 3 when ratelord denied one, 1 on any other error.
func run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("sdk", flag.ContinueOnError)
	daemon := fs.String("url", envOr("RATELORD_URL", client.DefaultURL), "ratelord-d's URL")
	endpoint := fs.String("endpoint", "https://api.github.com/repos/golang/go", "GitHub API URL to GET")
	n := fs.Int("n", 1, "number of requests")
	wait := fs.Duration("wait", 30*time.Second, "how long a request may wait for quota")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	rl := client.New(*daemon)
	rl.Token = os.Getenv("RATELORD_AUTH_TOKEN")
	hc := &http.Client{Transport: &client.Transport{
		Client:   rl,
		Pools:    githubPools,
		Upstream: "github", // examples/github.yaml's upstream reads the headers
		Identity: func(*http.Request) string { return "sdk-example" },
		MaxWait:  *wait,
	}}

	for i := range *n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, *endpoint, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdk:", err)
			return 1
		}
		req.Header.Set("Accept", "application/vnd.github+json")
		if tok := os.Getenv("GITHUB_TOKEN"); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		start := time.Now()
		resp, err := hc.Do(req)
		var denied *client.Denied
		if errors.As(err, &denied) {
			fmt.Printf("request %d: ratelord denied it (%s), retry in %s\n", i+1, denied.Reason, denied.RetryAfter)
			return 3
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdk:", err)
			return 1
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close() // closes the lease
		fmt.Printf("request %d: GET %s: %s in %s; GitHub says %s of %s left (%s)\n",
			i+1, *endpoint, resp.Status, time.Since(start).Round(time.Millisecond),
			resp.Header.Get("X-Ratelimit-Remaining"), resp.Header.Get("X-Ratelimit-Limit"),
			resp.Header.Get("X-Ratelimit-Resource"))
	}

	pools, err := rl.Pools(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk:", err)
		return 1
	}
	for _, p := range pools {
		fmt.Printf("ratelord %s: used %d of %d, %d remaining, leases open %d\n",
			p.Pool, p.Used, p.Limit, p.Remaining, p.LeasesOpen)
	}
	return 0
}

// githubPools maps a GitHub API request to the pools of examples/github.yaml
// that it spends, as the policy's proxy routes do. GET /rate_limit costs no
// quota, so it goes through ungated.
func githubPools(r *http.Request) map[string]int64 {
	switch p := r.URL.Path; {
	case p == "/rate_limit":
		return nil
	case strings.HasPrefix(p, "/search/"):
		return map[string]int64{"github-search": 1}
	case p == "/graphql":
		return map[string]int64{"github-graphql": 1}
	default:
		return map[string]int64{"github-core": 1}
	}
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
