package upstream_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/ratelord/ratelord/upstream"
)

// openAIStream is a chat completion streamed with
// stream_options.include_usage: every chunk has "usage":null but the last,
// which has no choices and the usage of the whole answer.
const openAIStream = `data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0}}}

data: [DONE]

`

// anthropicStream is a Messages stream: message_start carries the input
// tokens, message_delta the cumulative output tokens.
const anthropicStream = `event: message_start
data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_read_input_tokens":100,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello, usage!"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

`

// responsesStream is the end of an OpenAI Responses API stream.
const responsesStream = `event: response.output_text.delta
data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}

event: response.completed
data: {"type":"response.completed","response":{"id":"resp_1","object":"response","status":"completed","usage":{"input_tokens":10,"output_tokens":20,"total_tokens":30}}}

`

func TestStreamUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stream string
		want   int64
		ok     bool
	}{
		{"openai include_usage", openAIStream, 21, true},
		{"anthropic", anthropicStream, 25 + 100 + 15, true},
		{"openai responses", responsesStream, 30, true},
		{"CRLF line ends", strings.ReplaceAll(anthropicStream, "\n", "\r\n"), 140, true},
		{"no trailing blank line", strings.TrimRight(openAIStream[:strings.Index(openAIStream, "data: [DONE]")], "\n"), 21, true},
		{"anthropic cut after message_start", anthropicStream[:strings.Index(anthropicStream, "event: content_block_start")], 25 + 100 + 1, true},
		{"openai without include_usage", strings.ReplaceAll(openAIStream[:strings.Index(openAIStream, `data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[]`)], `,"usage":null`, ""), 0, false},
		{"data split over two lines", "data: {\"usage\":\ndata: {\"total_tokens\":7}}\n\n", 7, true},
		{"no space after the colon", "data:{\"usage\":{\"total_tokens\":8}}\n\n", 8, true},
		{"not SSE", "<html>502 Bad Gateway</html>", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 3, 7, 64, 1 << 20} {
			var s upstream.StreamUsage
			for rest := tt.stream; rest != ""; {
				n := min(chunk, len(rest))
				if got, err := s.Write([]byte(rest[:n])); got != n || err != nil {
					t.Fatalf("%s: Write = %d, %v", tt.name, got, err)
				}
				rest = rest[n:]
			}
			got, ok := s.Total()
			if got != tt.want || ok != tt.ok {
				t.Fatalf("%s in chunks of %d: got %d, %v; want %d, %v", tt.name, chunk, got, ok, tt.want, tt.ok)
			}
		}
	}
}

func TestStreamUsageDropsOverlongLines(t *testing.T) {
	t.Parallel()
	var s upstream.StreamUsage
	long := "data: {\"usage\":{\"total_tokens\":99},\"pad\":\"" + strings.Repeat("x", 5<<20) + "\"}\n\n"
	s.Write([]byte(long[:len(long)/2]))
	s.Write([]byte(long[len(long)/2:]))
	if n, ok := s.Total(); ok {
		t.Fatalf("an over-long line counted: %d", n)
	}
	s.Write([]byte("data: {\"usage\":{\"total_tokens\":5}}\n\n"))
	if n, ok := s.Total(); n != 5 || !ok {
		t.Fatalf("after the long line: %d, %v", n, ok)
	}
}

func TestStreamUsageConcurrentTotal(t *testing.T) {
	t.Parallel()
	var s upstream.StreamUsage
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range len(anthropicStream) {
			s.Write([]byte{anthropicStream[i]})
		}
	})
	wg.Go(func() {
		for range 200 {
			if n, _ := s.Total(); n < 0 {
				t.Error("negative total")
			}
		}
	})
	wg.Wait()
	if n, ok := s.Total(); n != 140 || !ok {
		t.Fatalf("got %d, %v", n, ok)
	}
}
