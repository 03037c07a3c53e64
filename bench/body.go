package bench

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
)

// maxBodies bounds the table of pre-encoded bodies; a mix with more
// combinations of pool, cost and identity encodes each body on the fly.
const maxBodies = 1 << 14

// acquireBody is the JSON of POST /v1/acquire, as the daemon reads it.
type acquireBody struct {
	Pool     string `json:"pool"`
	Cost     int64  `json:"cost"`
	Identity string `json:"identity,omitempty"`
	Priority string `json:"priority,omitempty"`
	MaxWait  string `json:"max_wait,omitempty"`
}

// mix draws the body of each acquire: a pool by weight, a cost and an
// identity uniformly. Its tables are read-only once built, so workers share
// it, each with its own random source.
type mix struct {
	cum      []int // cumulative weights of the pools
	pools    []string
	costMin  int64
	costs    int64 // number of costs: CostMax-CostMin+1
	idents   int   // 0: no identity
	priority string
	maxWait  string
	table    [][]byte // every body, indexed by (pool, cost, identity); nil when too many
}

// newMix builds the mix of a normalized c.
func newMix(c Config) *mix {
	m := &mix{costMin: c.CostMin, costs: c.CostMax - c.CostMin + 1,
		idents: c.Identities, priority: c.Priority}
	if c.MaxWait > 0 {
		m.maxWait = c.MaxWait.String()
	}
	total := 0
	for _, p := range c.Pools {
		total += p.Weight
		m.pools = append(m.pools, p.Name)
		m.cum = append(m.cum, total)
	}
	n := int64(len(m.pools)) * m.costs * int64(max(m.idents, 1))
	if n <= maxBodies {
		m.table = make([][]byte, n)
		for i := range m.table {
			m.table[i] = m.encode(m.split(int64(i)))
		}
	}
	return m
}

// next returns the body of one acquire.
func (m *mix) next(r *rand.Rand) []byte {
	w := r.IntN(m.cum[len(m.cum)-1])
	pool := int64(0)
	for w >= m.cum[pool] {
		pool++
	}
	i := pool*m.costs + r.Int64N(m.costs)
	if m.idents > 0 {
		i = i*int64(m.idents) + r.Int64N(int64(m.idents))
	}
	if m.table != nil {
		return m.table[i]
	}
	return m.encode(m.split(i))
}

// split turns a table index back into pool, cost and identity indices.
func (m *mix) split(i int64) (pool int, cost int64, ident int) {
	if m.idents > 0 {
		ident = int(i % int64(m.idents))
		i /= int64(m.idents)
	}
	return int(i / m.costs), m.costMin + i%m.costs, ident
}

// encode returns the JSON body for one combination.
func (m *mix) encode(pool int, cost int64, ident int) []byte {
	b := acquireBody{Pool: m.pools[pool], Cost: cost, Priority: m.priority, MaxWait: m.maxWait}
	if m.idents > 0 {
		b.Identity = "bench-" + strconv.Itoa(ident)
	}
	out, _ := json.Marshal(b) // cannot fail: strings and integers only
	return out
}
