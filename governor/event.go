package governor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// EventType names what an audit-log event records.
type EventType string

// The event types of the audit log.
const (
	EventGrant   EventType = "grant"
	EventDeny    EventType = "deny"
	EventSettle  EventType = "settle"
	EventRelease EventType = "release"
	EventExpire  EventType = "expire"
	EventObserve EventType = "observe"
	EventReload  EventType = "reload"
	EventHold    EventType = "hold"
)

// Event is one entry of the audit log. Replaying the grants, settles,
// releases and expiries of the log in Seq order reproduces every pool's state.
type Event struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"` // for a grant: when its units count (a waited grant: its slot)
	Type     EventType `json:"type"`
	LeaseID  LeaseID   `json:"lease_id,omitzero"`
	Identity string    `json:"identity,omitempty"`
	Priority string    `json:"priority,omitempty"`
	Pools    Costs     `json:"pools,omitempty"` // grant: charged costs; settle: the new actual costs
	Reason   string    `json:"reason,omitempty"`
	Message  string    `json:"message,omitempty"`
	// Expires is a grant's lease expiry; it lets a restart restore open leases.
	Expires time.Time `json:"expires_at,omitzero"`
}

// Cost is a number of units charged to one pool.
type Cost struct {
	Pool  string
	Units int64
}

// Costs is an ordered list of per-pool costs. It encodes as a JSON object
// {"pool": units, ...} in its own order.
type Costs []Cost

// Units returns the units for pool and whether pool is present.
func (c Costs) Units(pool string) (int64, bool) {
	for _, x := range c {
		if x.Pool == pool {
			return x.Units, true
		}
	}
	return 0, false
}

// MarshalJSON encodes c as a JSON object.
func (c Costs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(x.Pool)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		fmt.Fprintf(&b, ":%d", x.Units)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON decodes a JSON object of pool to units, keeping its order.
func (c *Costs) UnmarshalJSON(data []byte) error {
	if out, ok := parseCosts(data); ok {
		*c = out
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*c = nil
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("pools: want an object of pool name to units")
	}
	var out Costs
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var units int64
		if err := dec.Decode(&units); err != nil {
			return fmt.Errorf("pools.%s: want a whole number of units", name)
		}
		out = append(out, Cost{Pool: name, Units: units})
	}
	*c = out
	return nil
}

// parseCosts is the fast path of UnmarshalJSON (a restart decodes every
// event's costs): a flat object of plain names to integers, as MarshalJSON
// writes it. Anything else reports !ok and takes the general path.
func parseCosts(b []byte) (Costs, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	var out Costs
	for i = skipSpace(b, i+1); i < len(b) && b[i] != '}'; {
		if len(out) > 0 {
			if b[i] != ',' {
				return nil, false
			}
			i = skipSpace(b, i+1)
		}
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		end := bytes.IndexByte(b[i+1:], '"')
		if end < 0 || bytes.IndexByte(b[i+1:i+1+end], '\\') >= 0 {
			return nil, false
		}
		name := string(b[i+1 : i+1+end])
		i = skipSpace(b, i+end+2)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		j := i
		if j < len(b) && b[j] == '-' {
			j++
		}
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		n, err := strconv.ParseInt(string(b[i:j]), 10, 64)
		if err != nil {
			return nil, false
		}
		out = append(out, Cost{Pool: name, Units: n})
		i = skipSpace(b, j)
	}
	if i >= len(b) || skipSpace(b, i+1) != len(b) {
		return nil, false
	}
	return out, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
