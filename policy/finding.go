package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Finding is one problem in a policy file: where it is and what to fix.
type Finding struct {
	// File is the file the policy came from, as given to Parse or Load.
	File string
	// Line is the 1-based line of the offending key or value; 0 when the
	// problem has no single place (for example an empty file).
	Line int
	// Key is the dotted path of the offending key, such as
	// pools.github-core.limits[1].window; empty for YAML syntax errors.
	Key string
	// Message says what is wrong and, where it can, how to fix it. It never
	// holds a secret.
	Message string
}

// String formats the finding as "file:line: key: message", leaving out the
// line when it is 0 and the key when it is empty.
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
	}
	b.WriteString(": ")
	if f.Key != "" {
		b.WriteString(f.Key)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// Findings is every problem found in a policy file, sorted by line. It
// implements error so that Parse and Load can return it; use errors.As to
// get at the individual findings.
type Findings []Finding

// Error lists the findings, one per line.
func (fs Findings) Error() string {
	lines := make([]string, len(fs))
	for i, f := range fs {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}

// sort orders findings by line, keeping the order in which findings on the
// same line were found.
func (fs Findings) sort() {
	slices.SortStableFunc(fs, func(a, b Finding) int { return a.Line - b.Line })
}

// suggest returns the candidate closest to s when it is close enough to be a
// likely typo, or "" when none is.
func suggest(s string, candidates []string) string {
	best, bestDist := "", -1
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// One edit in a short word, two in a long one: beyond that the
	// suggestion is more often noise than help (gitlab is not github).
	limit := 1
	if len(s) >= 8 {
		limit = 2
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean returns "; did you mean "x"?" when s is close to a candidate.
func didYouMean(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}
