package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// baselineGrant is the baseline's answer to an acquire: the daemon's grant
// without the pool states.
type baselineGrant struct {
	Granted  bool   `json:"granted"`
	LeaseID  string `json:"lease_id"`
	WaitedMS int64  `json:"waited_ms"`
}

// baselineBody has the fields of the daemon's acquire body, so that the
// baseline decodes the same shape the same strict way.
type baselineBody struct {
	Pool     string           `json:"pool"`
	Cost     *int64           `json:"cost"`
	Pools    map[string]int64 `json:"pools"`
	Identity string           `json:"identity"`
	Priority string           `json:"priority"`
	MaxWait  string           `json:"max_wait"`
	LeaseTTL string           `json:"lease_ttl"`
}

// BaselineHandler returns the baseline: a bare net/http handler that
// decodes an acquire body strictly and grants it at once with a small JSON
// answer, and answers DELETE /v1/leases/{id} as the daemon does. It is the
// cost of HTTP and JSON alone, with no decision made.
func BaselineHandler() http.Handler {
	var seq atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/acquire", func(w http.ResponseWriter, r *http.Request) {
		var b baselineBody
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			http.Error(w, `{"error":{"code":"invalid_request","message":"bad body"}}`, http.StatusBadRequest)
			return
		}
		id := "b_" + strconv.FormatInt(seq.Add(1), 10)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(baselineGrant{Granted: true, LeaseID: id})
	})
	mux.HandleFunc("DELETE /v1/leases/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"lease_id": r.PathValue("id"), "released": true})
	})
	return mux
}

// StartBaseline serves BaselineHandler on 127.0.0.1 at a free port and
// returns its URL and a function that stops it.
func StartBaseline() (url string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the baseline: %w", err)
	}
	srv := &http.Server{Handler: BaselineHandler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// ErrServerClosed after stop; any other failure shows in the run as
		// transport errors.
		_ = srv.Serve(l)
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}
	return "http://" + l.Addr().String(), stop, nil
}
