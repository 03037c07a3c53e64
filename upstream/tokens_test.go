package upstream_test

import (
	"strings"
	"testing"

	"github.com/ratelord/ratelord/upstream"
)

func TestEstimateTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       int64
	}{
		// 40 prompt characters -> 10, plus max_tokens 100 x n 2.
		{"openai chat", `{"model":"gpt-4o-mini","messages":[
			{"role":"system","content":"You are terse."},
			{"role":"user","content":"Name three prime numbers!!"}],
			"max_tokens":100,"n":2,"temperature":0}`, 10 + 200},
		{"openai max_completion_tokens and text parts", `{"model":"o3","messages":[
			{"role":"user","content":[{"type":"text","text":"Describe this image."},
			{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}],
			"max_completion_tokens":1000}`, 20/4 + 1000},
		{"openai legacy completions prompt", `{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":7}`, 18/4 + 7},
		{"prompt as a list", `{"prompt":["abcd","efgh"],"max_tokens":1,"n":3}`, 2 + 3},
		// Anthropic Messages: system as a string, then as a list of blocks.
		{"anthropic messages", `{"model":"claude-sonnet-4-5","max_tokens":1024,
			"system":"Be brief.",
			"messages":[{"role":"user","content":"Hello, Claude"},
			{"role":"assistant","content":[{"type":"text","text":"Hi!"}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"42"}]}]}]}`,
			(9+13+3+2)/4 + 1024},
		{"anthropic system blocks", `{"max_tokens":10,"system":[{"type":"text","text":"12345678","cache_control":{"type":"ephemeral"}}],"messages":[]}`, 2 + 10},
		{"responses api input and instructions", `{"model":"gpt-4.1","instructions":"abcd","input":"efghijkl","max_output_tokens":50}`, 3 + 50},
		{"multibyte characters count once", `{"messages":[{"role":"user","content":"héllo wörld 日本"}],"max_tokens":0}`, 14 / 4},
		{"n of zero is one", `{"messages":[],"max_tokens":5,"n":0}`, 5},
		{"negative and absurd budgets are ignored", `{"messages":[{"content":"abcdefgh"}],"max_tokens":-5,"max_completion_tokens":1e300}`, 2},
		{"unknown object shape counts all of it", `{"query":"abcdefghijklmnopqrstuvw"}`, 35 / 4},
		{"not JSON", "hello world, this is plain text", 31 / 4},
		{"JSON but not an object", `["abcd","efgh"]`, 15 / 4},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := upstream.EstimateTokens([]byte(tt.body)); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestEstimateTokensDeepNesting(t *testing.T) {
	t.Parallel()
	body := `{"messages":` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `,"max_tokens":3}`
	if got := upstream.EstimateTokens([]byte(body)); got != 3 {
		t.Fatalf("got %d", got)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       int64
		ok         bool
	}{
		{"openai chat completion", `{"id":"chatcmpl-abc","object":"chat.completion","choices":[{"index":0,
			"message":{"role":"assistant","content":"2, 3, 5"},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,
			"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`, 29, true},
		{"openai without total", `{"usage":{"prompt_tokens":19,"completion_tokens":10}}`, 29, true},
		{"openai responses api", `{"object":"response","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},
			"output_tokens":87,"total_tokens":123}}`, 123, true},
		{"anthropic message", `{"id":"msg_01","type":"message","role":"assistant",
			"content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn",
			"usage":{"input_tokens":12,"output_tokens":6}}`, 18, true},
		{"anthropic with cache tokens", `{"type":"message","usage":{"input_tokens":10,
			"cache_creation_input_tokens":200,"cache_read_input_tokens":1000,"output_tokens":50}}`, 1260, true},
		{"anthropic error", `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`, 0, false},
		{"usage null", `{"usage":null}`, 0, false},
		{"usage without counts", `{"usage":{"note":"none"}}`, 0, false},
		{"odd counts ignored", `{"usage":{"input_tokens":-4,"output_tokens":"7","total_tokens":1.5,"prompt_tokens":3}}`, 3, true},
		{"not JSON", `upstream connect error`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := upstream.Usage([]byte(tt.body))
			if got != tt.want || ok != tt.ok {
				t.Fatalf("got %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
