package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reasons a denial gives (Denied.Reason).
const (
	ReasonQuotaExhausted      = "quota_exhausted"
	ReasonReservedForPriority = "reserved_for_priority"
	ReasonConcurrencyLimit    = "concurrency_limit"
	ReasonUpstreamLimited     = "upstream_limited"
	ReasonStoreUnavailable    = "store_unavailable"
)

// Error codes the daemon answers with (APIError.Code). The daemon may send
// others, such as "bad_request" or "unauthorized".
const (
	CodeUnknownPool     = "unknown_pool"
	CodeUnknownLease    = "unknown_lease"
	CodeUnknownUpstream = "unknown_upstream"
	CodeInvalidPolicy   = "invalid_policy"
)

// Denied is the daemon's "not now" to an acquire (HTTP 429, or 503 when its
// store is unavailable). Acquire returns it as an error; over-limit is an
// expected outcome, so check for it with errors.As and retry after
// RetryAfter.
type Denied struct {
	// Reason is one of the Reason* constants.
	Reason string
	// Message is the daemon's explanation for a person.
	Message string
	// RetryAfter is how long to wait before asking again; 0 when the daemon
	// gave no time.
	RetryAfter time.Duration
	// Pools is the state of the pools the request named.
	Pools []PoolState
}

// Error formats d as "denied: <reason>: <message>; retry in <RetryAfter>".
func (d *Denied) Error() string {
	var b strings.Builder
	b.WriteString("denied: ")
	b.WriteString(d.Reason)
	if d.Message != "" {
		b.WriteString(": ")
		b.WriteString(d.Message)
	}
	if d.RetryAfter > 0 {
		b.WriteString("; retry in ")
		b.WriteString(d.RetryAfter.String())
	}
	return b.String()
}

// APIError is any answer outside 2xx that is not a denial: bad input,
// unknown pool or lease, an invalid policy on reload, missing auth, or a
// server failure.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the daemon's machine-readable code, such as "unknown_lease";
	// empty when the answer was not the daemon's JSON error.
	Code string
	// Message says what went wrong and what to fix.
	Message string
	// Findings lists the problems of an invalid policy (Code
	// "invalid_policy"), one "file:line: key: message" each.
	Findings []string
}

// Error formats e as "<code>: <message>", or "HTTP <status>: <message>"
// when the answer carried no code.
func (e *APIError) Error() string {
	head := e.Code
	if head == "" {
		head = fmt.Sprintf("HTTP %d", e.Status)
	}
	msg := head + ": " + e.Message
	if n := len(e.Findings); n > 0 {
		msg += fmt.Sprintf(" (%d findings)", n)
	}
	return msg
}

// errorBody is the daemon's error envelope.
type errorBody struct {
	Error *struct {
		Code     string   `json:"code"`
		Message  string   `json:"message"`
		Findings []string `json:"findings"`
	} `json:"error"`
}

// apiError turns a non-2xx answer into an *APIError, keeping a readable
// message even when the body is not the daemon's JSON (a proxy's page).
func (r *response) apiError() *APIError {
	e := &APIError{Status: r.status}
	var eb errorBody
	if json.Unmarshal(r.body, &eb) == nil && eb.Error != nil {
		e.Code = eb.Error.Code
		e.Message = eb.Error.Message
		e.Findings = eb.Error.Findings
		return e
	}
	e.Message = strings.TrimSpace(string(r.body))
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "..."
	}
	if e.Message == "" {
		e.Message = http.StatusText(r.status)
	}
	return e
}

// retryAfterHeader reads a Retry-After of whole seconds; 0 if absent or not
// a number.
func retryAfterHeader(h http.Header) time.Duration {
	s, err := strconv.ParseInt(strings.TrimSpace(h.Get("Retry-After")), 10, 64)
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}
