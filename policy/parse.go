package policy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ExampleSource is the Source of the policy Example returns.
const ExampleSource = "built-in example policy"

// ExampleYAML is the text of the built-in example policy, which the daemon
// runs when it finds no policy file. The repository's policy.yaml is the
// same text.
//
//go:embed example.yaml
var ExampleYAML []byte

// Example returns the built-in example policy, freshly parsed from
// ExampleYAML, so the caller may keep it.
func Example() *Policy {
	p, err := Parse(ExampleSource, ExampleYAML)
	if err != nil {
		// The example is embedded and tested; this cannot happen in a build
		// whose tests pass.
		panic("policy: the built-in example policy is invalid:\n" + err.Error())
	}
	return p
}

// Load reads and parses the policy file at path. An unreadable file gives
// an error that names the path; an invalid one gives Findings.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates a policy file in YAML or JSON; file names it in
// findings and becomes the policy's Source. When the policy is invalid the
// error is Findings, holding every problem found, sorted by line.
func Parse(file string, data []byte) (*Policy, error) {
	p := &parser{decoder: decoder{file: file}, pools: map[string]*poolInfo{}, upstreams: map[string]bool{}}
	pol := p.document(data)
	if len(p.findings) > 0 {
		p.findings.sort()
		return nil, p.findings
	}
	return pol, nil
}

// parser holds what Parse needs beyond the decoder: every pool and upstream
// declared, and the references between them to check once all are known.
type parser struct {
	decoder
	pools         map[string]*poolInfo
	poolNames     []string
	upstreams     map[string]bool
	upstreamNames []string
	refs          []ref
}

// poolInfo is a declared pool; ok is false when its limits are invalid.
type poolInfo struct {
	pool *Pool
	ok   bool
}

// ref is a reference from e to a pool (with a route's cost) or an upstream.
// key is set when the name is e's key rather than its value.
type ref struct {
	pool, upstream string
	cost           int64
	e              entry
	key            bool
}

var topKeys = []string{"pools", "upstreams"}

// document parses the whole file.
func (p *parser) document(data []byte) *Policy {
	pol := &Policy{Source: p.file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		p.addf(nil, "pools", "no pools: a policy needs at least one pool")
		return pol
	} else if err != nil {
		p.syntax(err)
		return pol
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.addf(&extra, "", "a second YAML document: a policy file holds exactly one")
	} else if !errors.Is(err, io.EOF) {
		p.syntax(err)
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.addf(root, "", "a policy must be a mapping with pools and upstreams, got %s", describe(root))
		return pol
	}
	entries, _ := p.mapping(root, "", topKeys)
	havePools := false
	for _, e := range entries {
		switch e.name {
		case "pools":
			havePools = true
			pol.Pools = p.poolSection(e)
		case "upstreams":
			pol.Upstreams = p.upstreamSection(e)
		}
	}
	if !havePools && !p.suggested["pools"] {
		p.addf(root, "pools", "no pools: a policy needs at least one pool")
	}
	p.checkRefs()
	return pol
}

// poolSection parses the pools mapping.
func (p *parser) poolSection(e entry) []*Pool {
	if v := resolve(e.val); v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" || v.Kind == yaml.MappingNode && len(v.Content) == 0 {
		p.addf(e.key, e.path, "no pools: a policy needs at least one pool")
		return nil
	}
	entries, _ := p.mapping(e.val, e.path, nil)
	var pools []*Pool
	for _, f := range entries {
		pool, ok := p.pool(f)
		pools = append(pools, pool)
		p.pools[f.name] = &poolInfo{pool: pool, ok: ok}
		p.poolNames = append(p.poolNames, f.name)
	}
	return pools
}

// upstreamSection parses the upstreams mapping; it may be empty.
func (p *parser) upstreamSection(e entry) []*Upstream {
	if v := resolve(e.val); v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
		return nil
	}
	entries, _ := p.mapping(e.val, e.path, nil)
	var ups []*Upstream
	for _, f := range entries {
		ups = append(ups, p.upstream(f))
		p.upstreams[f.name] = true
		p.upstreamNames = append(p.upstreamNames, f.name)
	}
	return ups
}

// yamlErrRE splits yaml.v3's "yaml: line N: message".
var yamlErrRE = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// syntax records a YAML syntax error as a finding with its line.
func (p *parser) syntax(err error) {
	msg := err.Error()
	line := 0
	if m := yamlErrRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	p.findings = append(p.findings, Finding{File: p.file, Line: line, Message: "bad YAML: " + msg})
}
