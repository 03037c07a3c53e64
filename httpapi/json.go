package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ratelord/ratelord/governor"
)

// maxBody bounds every request body.
const maxBody = 1 << 20

// status maps each error code to its HTTP status: the one place that does.
var status = map[string]int{
	governor.ErrInvalid:         http.StatusBadRequest,
	governor.ErrUnknownPool:     http.StatusNotFound,
	governor.ErrUnknownLease:    http.StatusNotFound,
	governor.ErrUnknownUpstream: http.StatusNotFound,
	governor.ErrUnavailable:     http.StatusServiceUnavailable,
	governor.ErrInternal:        http.StatusInternalServerError,
}

// fail answers err. Internal errors show the client only "internal error".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := governor.ErrorCode(err)
	msg := err.Error()
	if code == governor.ErrInternal {
		s.Logger.Error("request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
		msg = "internal error"
	}
	writeError(w, status[code], code, msg)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads one JSON object into v, strictly: unknown fields, wrong types
// and trailing data are errors that say what to fix.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return governor.Errorf(governor.ErrInvalid, "%s", explain(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return governor.Errorf(governor.ErrInvalid, "the body must hold one JSON object and nothing after it")
	}
	return nil
}

// explain turns a JSON decoding error into a message that says what to fix.
func explain(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty: send a JSON object"
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be a %s, not a JSON %s", typ.Field, typ.Type, typ.Value)
	case errors.As(err, &big):
		return fmt.Sprintf("the body is larger than %d bytes", big.Limit)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf("unknown field %s: check the field names in the API reference", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends too soon"
	}
	return "malformed JSON: " + err.Error()
}
