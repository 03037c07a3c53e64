package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// proofPolicy has one pool per algorithm, with costs above 1 and identities.
const proofPolicy = `
pools:
  sliding: {limit: 40, window: 300ms}
  fixed: {limit: 30, window: 250ms, algorithm: fixed}
  bucket: {limit: 20, window: 200ms, algorithm: bucket, burst: 10}
  smooth: {limit: 50, window: 400ms, burst: 8}
  tenants: {per: identity, limit: 12, window: 300ms}
`

type proofEvent struct {
	Seq      int64            `json:"seq"`
	Time     time.Time        `json:"time"`
	Type     string           `json:"type"`
	Identity string           `json:"identity"`
	LeaseID  string           `json:"lease_id"`
	Pools    map[string]int64 `json:"pools"`
}

// TestConcurrencyProof hammers every kind of pool with 64 HTTP clients, then
// replays the audit log: no window ever held more than its limit, and the
// pools were used up to their limit.
func TestConcurrencyProof(t *testing.T) {
	m := MustMain(t, proofPolicy)
	url := "http://" + m.Addr()
	pools := []string{"sliding", "fixed", "bucket", "smooth", "tenants"}
	const clients, perClient = 64, 60
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for i := 0; i < perClient; i++ {
				pool := pools[rng.IntN(len(pools))]
				body := fmt.Sprintf(`{"pool":%q,"cost":%d,"identity":"id-%d","max_wait":"%dms"}`, pool, 1+rng.IntN(3), rng.IntN(4), rng.IntN(3)*50)
				if code, err := httpPost(url+"/v1/acquire", strings.NewReader(body)); err != nil || (code != 200 && code != 429) {
					t.Errorf("acquire %s: %d %v", body, code, err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	grants := readGrants(t, url)
	limits := map[string][2]int64{"sliding": {40, 300}, "fixed": {30, 250}, "bucket": {20, 200}, "smooth": {50, 400}, "tenants": {12, 300}}
	for _, pool := range pools {
		byKey := map[string][]grant{}
		for _, g := range grants[pool] {
			k := ""
			if pool == "tenants" {
				k = g.identity
			}
			byKey[k] = append(byKey[k], g)
		}
		lim, win := limits[pool][0], time.Duration(limits[pool][1])*time.Millisecond
		for k, gs := range byKey {
			sort.Slice(gs, func(i, j int) bool { return gs[i].at.Before(gs[j].at) })
			var most int64
			switch pool {
			case "fixed":
				most = maxFixed(gs, win)
			case "bucket":
				// The bucket's rule: in any interval, burst plus what refills in it.
				peak := bucketPeak(gs, lim, win)
				if peak > 10 || peak < 10-2 {
					t.Errorf("bucket: peak fill %.2f, want at most (and about) the burst of 10", peak)
				}
				most = lim
			case "smooth":
				if peak := bucketPeak(gs, lim, win); peak > 8 {
					t.Errorf("smooth: %.2f units back to back, burst 8", peak)
				}
				most = maxSliding(gs, win)
			default:
				most = maxSliding(gs, win)
			}
			if most > lim {
				t.Errorf("pool %s key %q: %d units in one window, limit %d", pool, k, most, lim)
			}
			if most < lim-2 {
				t.Errorf("pool %s key %q: at most %d of %d units used in any window: the pool was not used up to its limit", pool, k, most, lim)
			}
			t.Logf("pool %-8s key %-5q grants %4d, fullest window %d of %d", pool, k, len(gs), most, lim)
		}
	}
}

type grant struct {
	at       time.Time
	identity string
	units    int64
}

// readGrants pages through the audit log and returns each pool's grants
// with their actual units (grants corrected by their settles).
func readGrants(tb testing.TB, url string) map[string][]grant {
	tb.Helper()
	byLease := map[string]proofEvent{}
	var order []string
	after := int64(0)
	for {
		var page struct {
			Events []proofEvent `json:"events"`
			Next   int64        `json:"next"`
		}
		resp, err := http.Get(fmt.Sprintf("%s/v1/events?after=%d&limit=10000", url, after))
		if err != nil {
			tb.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		for _, e := range page.Events {
			switch e.Type {
			case "grant":
				byLease[e.LeaseID] = e
				order = append(order, e.LeaseID)
			case "settle":
				g := byLease[e.LeaseID]
				for p, u := range e.Pools {
					g.Pools[p] = u
				}
			}
		}
		if len(page.Events) == 0 {
			break
		}
		after = page.Next
	}
	out := map[string][]grant{}
	for _, id := range order {
		e := byLease[id]
		for p, u := range e.Pools {
			if u > 0 {
				out[p] = append(out[p], grant{at: e.Time, identity: e.Identity, units: u})
			}
		}
	}
	return out
}

// maxSliding returns the most units in any window-long interval [t, t+w).
func maxSliding(gs []grant, w time.Duration) int64 {
	var most int64
	for i := range gs {
		var sum int64
		for j := i; j < len(gs) && gs[j].at.Sub(gs[i].at) < w; j++ {
			sum += gs[j].units
		}
		most = max(most, sum)
	}
	return most
}

// maxFixed returns the most units in one epoch-aligned window.
func maxFixed(gs []grant, w time.Duration) int64 {
	sums := map[int64]int64{}
	var most int64
	for _, g := range gs {
		k := g.at.UnixNano() / int64(w)
		sums[k] += g.units
		most = max(most, sums[k])
	}
	return most
}

// bucketPeak returns the most units granted in any interval [ti, tj] beyond
// what the bucket refills in it: a token bucket keeps this within its burst.
func bucketPeak(gs []grant, limit int64, w time.Duration) float64 {
	var peak float64
	for i := range gs {
		var sum int64
		for j := i; j < len(gs); j++ {
			sum += gs[j].units
			span := float64(gs[j].at.Sub(gs[i].at))
			peak = max(peak, float64(sum)-span*float64(limit)/float64(w))
		}
	}
	return peak
}
