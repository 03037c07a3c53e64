package policy

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree and collects findings as it goes, so that
// one pass reports every problem with its line and key path.
type decoder struct {
	file     string
	findings Findings
	// suggested holds the key paths that an unknown key's "did you mean"
	// pointed at, so that a typo is not also reported as a missing key.
	suggested map[string]bool
}

// addf records a finding at node n (a key or a value) for key path key.
func (d *decoder) addf(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.findings = append(d.findings, Finding{File: d.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

// entry is one key/value pair of a mapping, with its key path.
type entry struct {
	name string
	path string
	key  *yaml.Node
	val  *yaml.Node
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// join appends a key to a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping returns the entries of the mapping n at path, reporting a node that
// is not a mapping, duplicate keys and, when known is not nil, keys not in
// known. Merge keys (<<) are expanded; explicit keys win over merged ones.
// ok is false when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, path string, known []string) (entries []entry, ok bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		d.addf(n, path, "must be a mapping, got %s", describe(n))
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, path, map[*yaml.Node]bool{})...)
			continue
		}
		kr := resolve(k)
		if kr.Kind != yaml.ScalarNode || kr.ShortTag() == "!!null" {
			d.addf(k, path, "keys must be strings, got %s", describe(kr))
			continue
		}
		name := kr.Value
		p := join(path, name)
		if first, dup := seen[name]; dup {
			d.addf(k, p, "duplicate key %q (first at line %d)", name, first.Line)
			continue
		}
		seen[name] = k
		if known != nil && !slices.Contains(known, name) {
			d.unknownKey(k, path, name, known)
			continue
		}
		entries = append(entries, entry{name: name, path: p, key: k, val: v})
	}
	for _, e := range merged {
		if _, dup := seen[e.name]; dup {
			continue
		}
		seen[e.name] = e.key
		e.path = join(path, e.name)
		if known != nil && !slices.Contains(known, e.name) {
			d.unknownKey(e.key, path, e.name, known)
			continue
		}
		entries = append(entries, e)
	}
	return entries, true
}

// merge returns the entries a merge key's value brings in: a mapping, or a
// list of mappings where earlier ones win. visited keeps a chain of merges
// from expanding any node twice.
func (d *decoder) merge(v *yaml.Node, path string, visited map[*yaml.Node]bool) []entry {
	v = resolve(v)
	if v == nil || visited[v] {
		return nil
	}
	visited[v] = true
	var out []entry
	switch v.Kind {
	case yaml.SequenceNode:
		for _, c := range v.Content {
			out = append(out, d.merge(c, path, visited)...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			if k.ShortTag() == "!!merge" {
				out = append(out, d.merge(val, path, visited)...)
			} else if kr := resolve(k); kr.Kind == yaml.ScalarNode {
				out = append(out, entry{name: kr.Value, key: k, val: val})
			}
		}
	default:
		d.addf(v, join(path, "<<"), "a merge key takes a mapping or a list of mappings, got %s", describe(v))
	}
	return out
}

// secretKeys are keys people reach for when they mean to put a token in the
// policy; the finding points them at token_env instead.
var secretKeys = []string{"token", "api_key", "apikey", "key", "secret", "password", "authorization", "bearer"}

// unknownKey reports a key name, in the mapping at parent, that is not in
// known.
func (d *decoder) unknownKey(k *yaml.Node, parent, name string, known []string) {
	path := join(parent, name)
	if slices.Contains(known, "token_env") && slices.Contains(secretKeys, strings.ToLower(name)) {
		d.addf(k, path, "unknown key %q: a secret never goes in the policy; set token_env to the name of the environment variable that holds it", name)
		return
	}
	if s := suggest(name, known); s != "" {
		d.addf(k, path, "unknown key %q; did you mean %q?", name, s)
		if d.suggested == nil {
			d.suggested = map[string]bool{}
		}
		d.suggested[join(parent, s)] = true
		return
	}
	d.addf(k, path, "unknown key %q (known keys: %s)", name, strings.Join(known, ", "))
}

// missing reports that the mapping at (line of) at, with key path parent,
// lacks key, unless an unknown key there was already taken for a typo of it.
func (d *decoder) missing(at *yaml.Node, parent, key, format string, args ...any) {
	if d.suggested[join(parent, key)] {
		return
	}
	d.addf(at, parent, format, args...)
}

// positive returns the value of a whole-number scalar, which must be positive.
func (d *decoder) positive(e entry) (int64, bool) {
	v := resolve(e.val)
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		d.addf(e.val, e.path, "must be a whole number, got %s", describe(v))
		return 0, false
	}
	var n int64
	if err := v.Decode(&n); err != nil {
		d.addf(e.val, e.path, "%s is out of range", v.Value)
		return 0, false
	}
	if n <= 0 {
		d.addf(e.val, e.path, "must be positive, got %s", v.Value)
		return 0, false
	}
	return n, true
}

// positiveInt is positive for values that must also fit an int.
func (d *decoder) positiveInt(e entry) (int, bool) {
	n, ok := d.positive(e)
	if ok && n > math.MaxInt32 {
		d.addf(e.val, e.path, "%d is out of range", n)
		return 0, false
	}
	return int(n), ok
}

// describe names what a node holds, for "must be X, got Y" findings.
func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("string %q", n.Value)
	case "!!int", "!!float":
		return "number " + n.Value
	case "!!bool":
		return n.Value
	}
	return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
}
