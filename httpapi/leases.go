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
	id := r.PathValue("id")
	if err := s.Governor.Settle(id, b.Cost, b.Pools); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lease_id": id, "settled": true})
}

func (s *Server) release(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.Governor.Release(id); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lease_id": id, "released": true})
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
