package httpapi

import (
	"net/http"

	"github.com/ratelord/ratelord/governor"
)

type settleBody struct {
	Cost  *int64         `json:"cost"`
	Pools governor.Costs `json:"pools"`
}

func (s *Server) settle(w http.ResponseWriter, r *http.Request) {
	var b settleBody
	if err := decode(w, r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := leaseID(r)
	if err == nil {
		err = s.Governor.Settle(id, b.Cost, b.Pools)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lease_id": id.String(), "settled": true})
}

func (s *Server) release(w http.ResponseWriter, r *http.Request) {
	id, err := leaseID(r)
	if err == nil {
		err = s.Governor.Release(id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lease_id": id.String(), "released": true})
}

// leaseID reads the lease id of the path. No lease has a malformed id, so
// that is a 404 unknown_lease too.
func leaseID(r *http.Request) (governor.LeaseID, error) {
	id, err := governor.ParseLeaseID(r.PathValue("id"))
	if err != nil {
		return 0, governor.Errorf(governor.ErrUnknownLease, "unknown lease: %v", err)
	}
	return id, nil
}

func (s *Server) pools(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"pools": s.Governor.Pools()})
}

func (s *Server) pool(w http.ResponseWriter, r *http.Request) {
	st, err := s.Governor.Pool(r.PathValue("name"), r.URL.Query().Get("identity"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
