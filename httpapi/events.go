package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
)

// Event listing bounds.
const (
	defaultEventLimit = 100
	maxEventLimit     = 10000
)

var eventTypes = map[governor.EventType]bool{
	governor.EventGrant: true, governor.EventDeny: true, governor.EventSettle: true,
	governor.EventRelease: true, governor.EventExpire: true, governor.EventObserve: true,
	governor.EventReload: true, governor.EventHold: true,
}

// events serves GET /v1/events: one page of the audit log as JSON, or, with
// follow=1 or "Accept: text/event-stream", a live stream of it (stream.go).
// Bad parameters are a 400 either way, before any stream starts.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	eq := governor.EventQuery{Pool: q.Get("pool"), Identity: q.Get("identity"), Type: governor.EventType(q.Get("type")), Limit: defaultEventLimit}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, invalid("after="+v+" is not a sequence number: use the \"next\" of the previous page, or 0"))
			return
		}
		eq.After = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventLimit {
			s.fail(w, r, invalid("limit="+v+" is out of range: use 1 to 10000"))
			return
		}
		eq.Limit = n
	}
	if eq.Type != "" && !eventTypes[eq.Type] {
		s.fail(w, r, invalid("type="+string(eq.Type)+" is unknown: use grant, deny, settle, release, expire, observe, reload or hold"))
		return
	}
	follow, err := wantsStream(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if follow {
		s.stream(w, r, eq)
		return
	}
	evs, err := s.Store.Events(r.Context(), eq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := eq.After
	if len(evs) > 0 {
		next = evs[len(evs)-1].Seq
	}
	if evs == nil {
		evs = []governor.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs, "next": next})
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.Reload == nil {
		writeError(w, http.StatusNotImplemented, "not_implemented", "this server cannot reload its policy")
		return
	}
	p, err := s.Reload()
	var fs policy.Findings
	switch {
	case errors.As(err, &fs):
		lines := make([]string, len(fs))
		for i, f := range fs {
			lines[i] = f.String()
		}
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
			"code": "invalid_policy", "message": "the new policy is invalid; the old one keeps serving", "findings": lines,
		}})
	case err != nil:
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
			"code": "invalid_policy", "message": err.Error() + "; the old policy keeps serving", "findings": []string{err.Error()},
		}})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"reloaded": true, "source": p.Source, "pools": len(p.Pools), "upstreams": len(p.Upstreams)})
	}
}
