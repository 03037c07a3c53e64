package upstream

import (
	"encoding/json"
	"unicode/utf8"
)

// Bounds that keep token arithmetic far from overflow.
const (
	maxTokenField = 1 << 40 // a max_tokens, n or usage count larger than this is malformed
	charsPerToken = 4
)

// promptKeys are the request fields whose text counts as prompt:
// chat messages, Anthropic system, legacy completion prompt, and the
// Responses API's input and instructions.
var promptKeys = []string{"messages", "system", "prompt", "input", "instructions"}

// maxTokenKeys name the output budget, first present wins: OpenAI chat and
// Anthropic max_tokens, OpenAI's newer max_completion_tokens, and the
// Responses API's max_output_tokens.
var maxTokenKeys = []string{"max_tokens", "max_completion_tokens", "max_output_tokens"}

// EstimateTokens implements the policy's `estimate`: prompt characters / 4 +
// max_tokens (or max_completion_tokens) × n, from an OpenAI- or
// Anthropic-style JSON request body. Prompt text is read from
// messages[].content (a string, or a list of {"type":"text","text":...}
// parts, nested tool results included), system (string or list), prompt
// (string or list) and input; images and other non-text parts count
// nothing. A JSON object without any of those fields counts all of its
// characters; a body that is not a JSON object gives len(body)/4.
func EstimateTokens(body []byte) int64 {
	var req map[string]any
	if json.Unmarshal(body, &req) != nil || req == nil {
		return int64(len(body) / charsPerToken)
	}
	var chars int64
	found := false
	for _, k := range promptKeys {
		if v, ok := req[k]; ok {
			found = true
			chars += textChars(v, 0)
		}
	}
	if !found {
		chars = int64(utf8.RuneCount(body))
	}
	out := int64(0)
	for _, k := range maxTokenKeys {
		if n, ok := tokenField(req[k]); ok {
			out = n
			break
		}
	}
	if n, ok := tokenField(req["n"]); ok && n > 1 {
		out *= n
	}
	return chars/charsPerToken + out
}

// textChars counts the characters of prompt text in v: a string, a list of
// strings or parts, or a part or message object's "text" and "content".
// Depth bounds the recursion on hostile input.
func textChars(v any, depth int) int64 {
	if depth > 32 {
		return 0
	}
	switch v := v.(type) {
	case string:
		return int64(utf8.RuneCountInString(v))
	case []any:
		var n int64
		for _, e := range v {
			n += textChars(e, depth+1)
		}
		return n
	case map[string]any:
		var n int64
		if s, ok := v["text"].(string); ok {
			n += int64(utf8.RuneCountInString(s))
		}
		if c, ok := v["content"]; ok {
			n += textChars(c, depth+1)
		}
		return n
	}
	return 0
}

// tokenField reads a JSON number that is a sane, non-negative token count.
func tokenField(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 || f > maxTokenField {
		return 0, false
	}
	return int64(f), true
}

// Usage extracts the total tokens an answer consumed: OpenAI's
// {"usage": {"prompt_tokens", "completion_tokens", "total_tokens"}} (the
// total when present, else the sum), or Anthropic's {"usage":
// {"input_tokens", "output_tokens", "cache_creation_input_tokens",
// "cache_read_input_tokens"}} (the sum). ok is false when the body holds no
// usage with a count.
func Usage(body []byte) (total int64, ok bool) {
	u := usageFields{}
	if !applyUsage(body, u) {
		return 0, false
	}
	return u.total()
}

// usageKeys are the usage counts read, by their JSON names.
var usageKeys = []string{
	"total_tokens", "prompt_tokens", "completion_tokens",
	"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
}

// usageFields holds the usage counts seen so far, by JSON name.
type usageFields map[string]int64

// applyUsage finds the usage object of a JSON answer or stream event (at
// the top, or in "message" for Anthropic's message_start, or in "response"
// for OpenAI's response.completed) and copies its counts into u. It reports
// whether a usage object was found.
func applyUsage(doc []byte, u usageFields) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(doc, &top) != nil {
		return false
	}
	raw, ok := top["usage"]
	for _, k := range []string{"message", "response"} {
		if ok && string(raw) != "null" {
			break
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(top[k], &inner) == nil {
			raw, ok = inner["usage"]
		}
	}
	var counts map[string]json.RawMessage
	if !ok || json.Unmarshal(raw, &counts) != nil || counts == nil {
		return false
	}
	for _, k := range usageKeys {
		if n, ok := jsonCount(counts[k]); ok && n <= maxTokenField {
			u[k] = n
		}
	}
	return true
}

// total returns total_tokens if seen, else the sum of the other counts; ok
// is false if no count was seen. OpenAI's prompt_tokens already include its
// cached tokens; Anthropic's input_tokens exclude theirs, hence the sum.
func (u usageFields) total() (int64, bool) {
	if n, ok := u["total_tokens"]; ok {
		return n, true
	}
	var sum int64
	ok := false
	for _, k := range usageKeys[1:] {
		if n, seen := u[k]; seen {
			sum += n
			ok = true
		}
	}
	return sum, ok
}
