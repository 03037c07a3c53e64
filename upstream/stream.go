package upstream

import (
	"bytes"
	"maps"
	"sync"
)

// maxSSELine bounds a buffered server-sent-events line or event; a longer
// one is dropped, so a hostile stream cannot grow the buffer without end.
const maxSSELine = 4 << 20

// StreamUsage scans a server-sent-events stream chunk by chunk and
// remembers the usage counts of the `data: {...}` events: OpenAI's final
// chunk when the request set stream_options.include_usage (and the usage of
// the Responses API's response.completed), Anthropic's message_start
// (input and cache tokens) followed by message_delta (cumulative output
// tokens). A later count replaces an earlier one of the same name, so the
// last usage seen wins. Use it as the io.Writer of an io.TeeReader or
// io.MultiWriter on the response body. The zero value is ready to use, and
// it is safe for concurrent use.
type StreamUsage struct {
	mu     sync.Mutex
	line   []byte // the current line, not yet ended by '\n'
	skip   bool   // the current line is too long and is being dropped
	data   []byte // the data lines of the current event, joined by '\n'
	fields usageFields
}

// Write scans p, which may end in the middle of a line. It never fails.
func (s *StreamUsage) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.appendLine(p)
			break
		}
		s.appendLine(p[:i])
		if !s.skip {
			s.handleLine(bytes.TrimSuffix(s.line, []byte("\r")))
		}
		s.line, s.skip = s.line[:0], false
		p = p[i+1:]
	}
	return n, nil
}

// Total returns the total tokens of the usage seen so far (see Usage for
// how counts add up), counting an event the stream has not yet closed with
// a blank line. ok is false if no usage has been seen.
func (s *StreamUsage) Total() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := maps.Clone(s.fields)
	if u == nil {
		u = usageFields{}
	}
	data := s.data
	if v, ok := dataField(s.line); ok && !s.skip {
		data = joinData(bytes.Clone(data), v)
	}
	if len(data) > 0 {
		applyEvent(data, u)
	}
	return u.total()
}

// appendLine adds b to the current line, or drops the line if it grows too
// long.
func (s *StreamUsage) appendLine(b []byte) {
	if s.skip {
		return
	}
	if len(s.line)+len(b) > maxSSELine {
		s.line, s.skip = s.line[:0], true
		return
	}
	s.line = append(s.line, b...)
}

// handleLine processes one complete line: a blank line ends the event, a
// data line adds to it, and every other field (event:, id:, comments) is
// ignored.
func (s *StreamUsage) handleLine(l []byte) {
	if len(l) == 0 {
		if len(s.data) > 0 {
			if s.fields == nil {
				s.fields = usageFields{}
			}
			applyEvent(s.data, s.fields)
		}
		s.data = s.data[:0]
		return
	}
	v, ok := dataField(l)
	if !ok {
		return
	}
	if len(s.data)+len(v)+1 > maxSSELine {
		s.data = s.data[:0]
		return
	}
	s.data = joinData(s.data, v)
}

// dataField returns the value of a "data:" line, without the one optional
// space after the colon.
func dataField(l []byte) ([]byte, bool) {
	v, ok := bytes.CutPrefix(l, []byte("data:"))
	if !ok {
		return nil, false
	}
	return bytes.TrimPrefix(v, []byte(" ")), true
}

// joinData appends one data line to an event's data, as SSE joins them.
func joinData(data, v []byte) []byte {
	if len(data) > 0 {
		data = append(data, '\n')
	}
	return append(data, v...)
}

// applyEvent reads the usage of one event's data into u. Events without a
// usage key (most chunks) are not decoded at all.
func applyEvent(data []byte, u usageFields) {
	if bytes.Contains(data, []byte(`"usage"`)) {
		applyUsage(data, u)
	}
}
