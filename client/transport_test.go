package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratelord/ratelord/client"
)

func TestTransportGrantsAndCounts(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c, Pools: costs(map[string]int64{"p": 1})}}
	for i := range 3 {
		if body := drain(MustGet(t, hc, up.URL+"/core")); body != "ok" {
			t.Fatalf("request %d: body %q", i, body)
		}
	}
	st := MustPool(t, c, "p", "")
	if st.Used != 3 || st.Remaining != 0 || st.LeasesOpen != 0 {
		t.Errorf("pool p: used %d, remaining %d, leases open %d; want 3, 0, 0", st.Used, st.Remaining, st.LeasesOpen)
	}
	if n := up.Hits.Load(); n != 3 {
		t.Errorf("upstream served %d requests, want 3", n)
	}
}

func TestTransportDenialIsDenied(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c, Pools: costs(map[string]int64{"one": 1})}}
	drain(MustGet(t, hc, up.URL+"/core"))
	body := &closeCounter{Reader: strings.NewReader("payload")}
	req, _ := http.NewRequest(http.MethodPost, up.URL+"/echo", body)
	resp, err := hc.Do(req)
	var d *client.Denied
	if !errors.As(err, &d) {
		t.Fatalf("err = %v, want a *client.Denied", err)
	}
	if resp != nil {
		t.Errorf("a denial returned a response: %v", resp.Status)
	}
	if d.Reason != client.ReasonQuotaExhausted || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
		t.Errorf("denial = %+v, want quota_exhausted with a retry within 1m", d)
	}
	if up.Hits.Load() != 1 {
		t.Errorf("upstream served %d requests, want 1: a denied request must not be sent", up.Hits.Load())
	}
	if body.closed == 0 {
		t.Error("the request body of a denied request was not closed")
	}
}

func TestTransportWaitsForSlot(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c, MaxWait: 10 * time.Second,
		Pools: costs(map[string]int64{"slow": 1}), Identity: func(*http.Request) string { return "waiter" }}}
	for range 2 {
		drain(MustGet(t, hc, up.URL+"/core"))
	}
	page, err := c.Events(context.Background(), client.EventQuery{Pool: "slow", Type: client.EventGrant})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 {
		t.Fatalf("grants = %+v, want 2", page.Events)
	}
	// The second request was held until the first unit left the window.
	if gap := page.Events[1].Time.Sub(page.Events[0].Time); gap < 300*time.Millisecond {
		t.Errorf("second grant %s after the first, want its slot at least 300ms later", gap)
	}
	if page.Events[1].Identity != "waiter" {
		t.Errorf("grant identity = %q, want waiter", page.Events[1].Identity)
	}
}

func TestTransportWaitBoundedByContext(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c, MaxWait: time.Hour, Pools: costs(map[string]int64{"one": 1})}}
	drain(MustGet(t, hc, up.URL+"/core"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, up.URL+"/core", nil)
	_, err := hc.Do(req)
	var d *client.Denied
	if !errors.As(err, &d) {
		t.Fatalf("err = %v, want a *client.Denied: the slot in ~1m is past the context's deadline", err)
	}
}

func TestTransportReportsUpstreamHeaders(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	up.Remaining.Store(10)
	hc := &http.Client{Transport: &client.Transport{Client: c, Upstream: "github", Pools: costs(map[string]int64{"gh": 1})}}
	resp := MustGet(t, hc, up.URL+"/core")
	// Reported before RoundTrip returns, while the lease is still open.
	st := MustPool(t, c, "gh", "")
	if st.Remaining != 10 || st.LeasesOpen != 1 {
		t.Errorf("pool gh: remaining %d, leases open %d; want the upstream's 10 and 1", st.Remaining, st.LeasesOpen)
	}
	drain(resp)
	if st := MustPool(t, c, "gh", ""); st.Remaining != 10 || st.LeasesOpen != 0 {
		t.Errorf("after close: remaining %d, leases open %d; want 10 and 0", st.Remaining, st.LeasesOpen)
	}
}

func TestTransportUpstream429HoldsPool(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c, Upstream: "github", Pools: costs(map[string]int64{"gh": 1})}}
	resp := MustGet(t, hc, up.URL+"/limited")
	drain(resp)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want the upstream's 429 passed through", resp.StatusCode)
	}
	_, err := hc.Get(up.URL + "/core")
	var d *client.Denied
	if !errors.As(err, &d) || d.Reason != client.ReasonUpstreamLimited || d.RetryAfter < 25*time.Second {
		t.Fatalf("err = %v, want upstream_limited for about the upstream's Retry-After (30s)", err)
	}
	if up.Hits.Load() != 1 {
		t.Errorf("upstream served %d requests, want 1", up.Hits.Load())
	}
}

func TestTransportBodyCloseReleases(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c, Pools: costs(map[string]int64{"p": 2})}}
	resp := MustGet(t, hc, up.URL+"/core")
	if st := MustPool(t, c, "p", ""); st.LeasesOpen != 1 || st.Used != 2 {
		t.Fatalf("body open: leases open %d, used %d; want 1 and 2", st.LeasesOpen, st.Used)
	}
	drain(resp)
	resp.Body.Close() // a second close is harmless
	if st := MustPool(t, c, "p", ""); st.LeasesOpen != 0 || st.Used != 2 {
		t.Errorf("body closed: leases open %d, used %d; want 0 and 2 (a release keeps the charge)", st.LeasesOpen, st.Used)
	}
}

func TestTransportSettlesFromUsage(t *testing.T) {
	t.Parallel()
	c, up := MustDaemon(t), MustUpstream(t)
	hc := &http.Client{Transport: &client.Transport{Client: c,
		Pools:  costs(map[string]int64{"tok": 1500}),
		Settle: settleUsage("tok"),
	}}
	resp := MustGet(t, hc, up.URL+"/usage")
	if st := MustPool(t, c, "tok", ""); st.Used != 1500 {
		t.Errorf("before settling: used %d, want the estimate 1500", st.Used)
	}
	if body := drain(resp); !strings.Contains(body, `"total_tokens": 123`) {
		t.Errorf("the caller read %q, want the upstream's body", body)
	}
	if st := MustPool(t, c, "tok", ""); st.Used != 123 || st.LeasesOpen != 0 {
		t.Errorf("after close: used %d, leases open %d; want the actual 123 and 0", st.Used, st.LeasesOpen)
	}
	page, err := c.Events(context.Background(), client.EventQuery{Type: client.EventSettle})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Pools["tok"] != 123 {
		t.Errorf("settle events = %+v, want one settling tok at 123", page.Events)
	}
}

func TestTransportErrorReleases(t *testing.T) {
	t.Parallel()
	c := MustDaemon(t)
	failed := errors.New("connection refused")
	hc := &http.Client{Transport: &client.Transport{Client: c, Pools: costs(map[string]int64{"p": 1}),
		Base: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, failed })}}
	if _, err := hc.Get("http://upstream.invalid/x"); !errors.Is(err, failed) {
		t.Fatalf("err = %v, want the base transport's error", err)
	}
	if st := MustPool(t, c, "p", ""); st.LeasesOpen != 0 || st.Used != 1 {
		t.Errorf("leases open %d, used %d; want 0 and 1", st.LeasesOpen, st.Used)
	}
}

// closeCounter is a request body that counts its Close calls.
type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }
