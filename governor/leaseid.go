package governor

import (
	"fmt"
	"strconv"
	"strings"
)

// LeaseID names a lease. Lease numbers grow across restarts (a restart
// continues after the highest one it restores), so an id is never reused
// within one database. It reads and writes as "l_" and the number in base 36.
type LeaseID uint64

// String returns the id as the API shows it, or "" for the zero id.
func (id LeaseID) String() string {
	if id == 0 {
		return ""
	}
	return "l_" + strconv.FormatUint(uint64(id), 36)
}

// ParseLeaseID reads an id written by String.
func ParseLeaseID(s string) (LeaseID, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "l_"), 36, 64)
	if !strings.HasPrefix(s, "l_") || err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a lease id (they look like l_1a2b)", s)
	}
	return LeaseID(n), nil
}

// MarshalText encodes the id as String does.
func (id LeaseID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes an id written by MarshalText; "" is the zero id.
func (id *LeaseID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = 0
		return nil
	}
	v, err := ParseLeaseID(string(b))
	*id = v
	return err
}
