package proxy

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/ratelord/ratelord/governor"
	"github.com/ratelord/ratelord/policy"
)

// anthropicVersion is sent to Anthropic when the client names none.
const anthropicVersion = "2023-06-01"

// redacted replaces the token in error messages.
const redacted = "[REDACTED]"

// token returns the token of u from the variable its token_env names, or
// "" for an upstream without token_env.
func (p *Proxy) token(u *policy.Upstream) (string, error) {
	if u.TokenEnv == "" {
		return "", nil
	}
	t := p.Getenv(u.TokenEnv)
	if t == "" {
		return "", governor.Errorf(ErrTokenMissing, "the environment variable %s named by upstreams.%s.token_env is not set: set it for ratelord-d", u.TokenEnv, u.Name)
	}
	return t, nil
}

// credentials sets the upstream's credentials on an outgoing request. The
// client's own are always dropped: ratelord-d's bearer token travels in
// Authorization, and the upstream's token comes only from the environment.
func credentials(h http.Header, dialect, token string) {
	h.Del("Authorization")
	h.Del("X-Api-Key")
	if dialect == policy.DialectAnthropic && h.Get("Anthropic-Version") == "" {
		h.Set("Anthropic-Version", anthropicVersion)
	}
	if token == "" {
		return
	}
	if dialect == policy.DialectAnthropic {
		h.Set("X-Api-Key", token)
		return
	}
	h.Set("Authorization", "Bearer "+token)
}

// scrubHeader deletes every field of h that carries the token (an upstream
// echoing the request back).
func scrubHeader(h http.Header, token string) {
	if token == "" {
		return
	}
	for k, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, token) || strings.Contains(k, token) {
				delete(h, k)
				break
			}
		}
	}
}

// redact replaces the token in s.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, redacted)
}

// scrubber masks every occurrence of a secret in a stream with as many
// asterisks, so a Content-Length stays right. It holds back only a tail that
// could be the start of the secret, so a stream whose chunks end in
// anything else (SSE events end in a blank line) passes through at once.
type scrubber struct {
	r      io.Reader
	secret []byte
	buf    []byte // read and masked; buf[:ready] may be returned
	ready  int
	err    error
}

func newScrubber(r io.Reader, secret string) *scrubber {
	return &scrubber{r: r, secret: []byte(secret)}
}

// Read returns masked bytes.
func (s *scrubber) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for s.ready == 0 && s.err == nil {
		s.fill(len(p))
	}
	if s.ready == 0 {
		return 0, s.err
	}
	n := copy(p, s.buf[:s.ready])
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	s.ready -= n
	return n, nil
}

// fill reads up to n more bytes, masks the secret and decides how much may
// be returned.
func (s *scrubber) fill(n int) {
	start := len(s.buf)
	s.buf = slices.Grow(s.buf, n)[:start+n]
	m, err := s.r.Read(s.buf[start:])
	s.buf = s.buf[:start+m]
	for i := 0; ; {
		j := bytes.Index(s.buf[i:], s.secret)
		if j < 0 {
			break
		}
		i += j
		for k := range s.secret {
			s.buf[i+k] = '*'
		}
		i += len(s.secret)
	}
	if err != nil {
		s.err, s.ready = err, len(s.buf)
		return
	}
	s.ready = len(s.buf) - partial(s.buf, s.secret)
}

// partial returns the length of the longest tail of b that is a proper
// prefix of secret.
func partial(b, secret []byte) int {
	from := max(len(b)-len(secret)+1, 0)
	for i := from; i < len(b); i++ {
		if b[i] == secret[0] && bytes.HasPrefix(secret, b[i:]) {
			return len(b) - i
		}
	}
	return 0
}
