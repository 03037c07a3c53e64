package governor

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to a status in one place.
const (
	ErrInvalid         = "invalid_request"  // bad input: 400
	ErrUnknownPool     = "unknown_pool"     // 404
	ErrUnknownLease    = "unknown_lease"    // 404
	ErrUnknownUpstream = "unknown_upstream" // 404
	ErrUnavailable     = "unavailable"      // shutting down or store failed: 503
	ErrInternal        = "internal"         // 500
)

// Error is an error with a code that says what kind of failure it is and a
// message that says what to fix.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or ErrInternal when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}
