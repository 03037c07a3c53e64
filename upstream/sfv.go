package upstream

import "strings"

// sfMember is one member of an HTTP Structured Field List or Dictionary
// (RFC 9651), read leniently: the IETF RateLimit fields have changed syntax
// with every draft, and servers in the wild send several of them.
type sfMember struct {
	key    string            // the key of a Dictionary member (key=value); "" for a List item
	name   string            // a String or Token item, unquoted
	num    int64             // an Integer item, or the Integer value of a Dictionary member
	isNum  bool              // num is set
	params map[string]string // parameters, keys lower-cased, String values unquoted
}

// parseSF splits a List or Dictionary into members. A member that does not
// parse is skipped, so one bad item does not hide the others.
func parseSF(s string) []sfMember {
	var out []sfMember
	for _, raw := range splitSF(s, ',') {
		parts := splitSF(raw, ';')
		m, ok := parseSFItem(strings.TrimSpace(parts[0]))
		if !ok {
			continue
		}
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			k = strings.ToLower(strings.TrimSpace(k))
			if k == "" {
				continue
			}
			if m.params == nil {
				m.params = make(map[string]string)
			}
			v = strings.TrimSpace(v)
			if u, ok := unquoteSF(v); ok {
				v = u
			}
			m.params[k] = v
		}
		out = append(out, m)
	}
	return out
}

// parseSFItem reads the bare item of a member: a String, an Integer, a Token
// or a Dictionary key=value.
func parseSFItem(s string) (sfMember, bool) {
	var m sfMember
	switch {
	case s == "":
		return m, false
	case s[0] == '"':
		u, ok := unquoteSF(s)
		m.name = u
		return m, ok
	}
	if n, ok := parseCount(s); ok {
		m.num, m.isNum = n, true
		return m, true
	}
	if k, v, ok := strings.Cut(s, "="); ok {
		k = strings.ToLower(strings.TrimSpace(k))
		if !isSFToken(k) {
			return m, false
		}
		m.key = k
		m.num, m.isNum = parseCount(v)
		if u, ok := unquoteSF(strings.TrimSpace(v)); ok {
			m.name = u
		} else if !m.isNum {
			m.name = strings.TrimSpace(v)
		}
		return m, true
	}
	if !isSFToken(s) {
		return m, false
	}
	m.name = s
	return m, true
}

// splitSF splits s at every sep that is not inside a quoted String.
func splitSF(s string, sep byte) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// unquoteSF unquotes a String: "..." with \" and \\ as the only escapes.
func unquoteSF(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i >= len(s)-1 || (s[i] != '"' && s[i] != '\\') {
				return "", false
			}
			b.WriteByte(s[i])
		case c == '"' || c < 0x20 || c > 0x7e:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// isSFToken reports whether s is a Token: a letter or '*' followed by
// tchar, ':' or '/'.
func isSFToken(s string) bool {
	if s == "" || !(s[0] == '*' || ('a' <= s[0] && s[0] <= 'z') || ('A' <= s[0] && s[0] <= 'Z')) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		alnum := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
		if !alnum && !strings.ContainsRune("!#$%&'*+-.^_`|~:/", rune(c)) {
			return false
		}
	}
	return true
}
