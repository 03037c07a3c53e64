package policy

import (
	"fmt"
	"strings"
)

// Priority orders requests competing for the same pool. A pool's reserve
// holds a share of every limit back from the lower priorities.
type Priority uint8

// The priorities, lowest first. Normal is the default.
const (
	// Low is for work that can wait: backfills, crawls, batch jobs.
	Low Priority = iota
	// Normal is the default priority.
	Normal
	// High is for work a person is waiting on.
	High
	// Critical may always use the whole of every limit; it cannot be
	// reserved against.
	Critical
)

// priorityNames holds the name of each priority, indexed by Priority.
var priorityNames = [...]string{Low: "low", Normal: "normal", High: "high", Critical: "critical"}

// ParsePriority parses a priority name: critical, high, normal or low (in
// any case). The empty string is Normal.
func ParsePriority(s string) (Priority, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return Normal, nil
	}
	for p, name := range priorityNames {
		if t == name {
			return Priority(p), nil
		}
	}
	return Normal, fmt.Errorf("unknown priority %q: use critical, high, normal or low", s)
}

// String returns the priority's name, such as "normal".
func (p Priority) String() string {
	if int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return fmt.Sprintf("Priority(%d)", uint8(p))
}

// MarshalText encodes the priority as its name, so that it reads as a
// string in JSON.
func (p Priority) MarshalText() ([]byte, error) {
	if int(p) >= len(priorityNames) {
		return nil, fmt.Errorf("marshal priority: unknown priority %d", uint8(p))
	}
	return []byte(priorityNames[p]), nil
}

// UnmarshalText decodes a priority name as ParsePriority does.
func (p *Priority) UnmarshalText(text []byte) error {
	v, err := ParsePriority(string(text))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
