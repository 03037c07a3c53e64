package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratelord/ratelord/governor"
)

// openaiPolicy routes chat completions to a requests pool and an estimated
// tokens pool.
func openaiPolicy(url string) string {
	return fmt.Sprintf(`
pools:
  openai-requests: {limit: 500, window: 1m, upstream: openai}
  openai-tokens: {unit: tokens, limit: 30000, window: 1m}
upstreams:
  openai:
    url: %s
    dialect: openai
    token_env: OPENAI_API_KEY
    resources: {requests: openai-requests}
    routes:
      - {path: /v1/chat/completions, pools: {openai-requests: 1, openai-tokens: estimate}}
`, url)
}

// chat is a request whose estimate is 400/4 + 100 = 200 tokens.
var chat = `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 400) + `"}],"max_tokens":100}`

// openaiHarness starts a fake OpenAI answering with handler and a proxy in
// front of it; charged reports the tokens pool's use while the upstream
// handled the last request.
func openaiHarness(t *testing.T, handler http.HandlerFunc) (h *harness, up *fake, charged *atomic.Int64) {
	charged = &atomic.Int64{}
	up = newFake(t, func(w http.ResponseWriter, r *http.Request) {
		st, _ := h.gov.Pool("openai-tokens", "")
		charged.Store(st.Used)
		w.Header().Set("X-Ratelimit-Limit-Requests", "500")
		w.Header().Set("X-Ratelimit-Remaining-Requests", "499")
		w.Header().Set("X-Ratelimit-Reset-Requests", "120ms")
		handler(w, r)
	})
	h = newHarness(t, openaiPolicy(up.URL), map[string]string{"OPENAI_API_KEY": secret})
	return h, up, charged
}

func TestEstimateSettlesFromUsage(t *testing.T) {
	h, up, charged := openaiHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"c1","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":12,"completion_tokens":45,"total_tokens":57}}`)
	})
	resp, body := h.do("POST", "/proxy/openai/v1/chat/completions", chat, map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"total_tokens":57`) {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if up.last().Body != chat {
		t.Errorf("the upstream got body %q, want the client's", up.last().Body)
	}
	if got := charged.Load(); got != 200 {
		t.Errorf("the acquire charged %d tokens, want the estimate 200", got)
	}
	if st := h.pool("openai-tokens"); st.Used != 57 || st.LeasesOpen != 0 {
		t.Errorf("tokens used %d, leases %d; want the usage 57 and 0", st.Used, st.LeasesOpen)
	}
	if st := h.pool("openai-requests"); st.Used != 1 {
		t.Errorf("requests used %d, want 1", st.Used)
	}
	settles := h.store.OfType(governor.EventSettle)
	want := governor.Costs{{Pool: "openai-requests", Units: 1}, {Pool: "openai-tokens", Units: 57}}
	if len(settles) != 1 || fmt.Sprint(settles[0].Pools) != fmt.Sprint(want) {
		t.Errorf("settle events %+v, want one with %v", settles, want)
	}
}

func TestStreamPassesThroughAndSettles(t *testing.T) {
	next := make(chan struct{})
	h, _, charged := openaiHarness(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-next: // the client has the first chunk
		case <-time.After(30 * time.Second):
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n")
		w.(http.Flusher).Flush()
		fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20,\"total_tokens\":30}}\n\ndata: [DONE]\n\n")
	})
	// The client reads the first event while the upstream still holds the
	// rest back: a proxy that buffered would deliver nothing here.
	type opened struct {
		resp  *http.Response
		br    *bufio.Reader
		chunk string
		err   error
	}
	first := make(chan opened, 1)
	go func() {
		req, _ := http.NewRequest("POST", h.srv.URL+"/proxy/openai/v1/chat/completions", strings.NewReader(chat))
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			first <- opened{err: err}
			return
		}
		o := opened{resp: resp, br: bufio.NewReader(resp.Body)}
		var b strings.Builder
		for !strings.HasSuffix(b.String(), "\n\n") {
			line, err := o.br.ReadString('\n')
			b.WriteString(line)
			if err != nil {
				break
			}
		}
		o.chunk = b.String()
		first <- o
	}()
	var o opened
	select {
	case o = <-first:
	case <-time.After(10 * time.Second):
		close(next)
		t.Fatal("the first chunk did not arrive before the upstream sent the next: the proxy buffers the stream")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	resp, br, chunk := o.resp, o.br, o.chunk
	defer resp.Body.Close()
	close(next)
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	h.record(resp, []byte(chunk+string(rest)))
	if !strings.Contains(chunk, `"Hel"`) || !strings.Contains(string(rest), "[DONE]") {
		t.Errorf("stream %q + %q", chunk, rest)
	}
	if charged.Load() != 200 {
		t.Errorf("the acquire charged %d, want 200", charged.Load())
	}
	if st := h.pool("openai-tokens"); st.Used != 30 || st.LeasesOpen != 0 {
		t.Errorf("tokens used %d, leases %d; want the last usage chunk's 30 and 0", st.Used, st.LeasesOpen)
	}
}

func TestErrorAnswerRefundsTokens(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadRequest} {
		h, _, _ := openaiHarness(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprint(w, `{"error":{"message":"no"}}`)
		})
		resp, _ := h.do("POST", "/proxy/openai/v1/chat/completions", chat, nil)
		if resp.StatusCode != status {
			t.Fatalf("status %d, want the upstream's %d", resp.StatusCode, status)
		}
		if tok, req := h.pool("openai-tokens"), h.pool("openai-requests"); tok.Used != 0 || req.Used != 1 || tok.LeasesOpen != 0 {
			t.Errorf("after %d: tokens used %d, requests used %d; want 0 (nothing generated) and 1 (the request counts)", status, tok.Used, req.Used)
		}
	}
}

func TestAnswerWithoutUsageKeepsEstimate(t *testing.T) {
	h, _, _ := openaiHarness(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"c1"}`)
	})
	h.do("POST", "/proxy/openai/v1/chat/completions", chat, nil)
	if st := h.pool("openai-tokens"); st.Used != 200 || st.LeasesOpen != 0 {
		t.Errorf("tokens used %d, leases %d; want the estimate 200 kept and 0", st.Used, st.LeasesOpen)
	}
	if n := len(h.store.OfType(governor.EventRelease)); n != 1 {
		t.Errorf("%d release events, want 1", n)
	}
}

func TestEstimateClampedToPool(t *testing.T) {
	h, _, charged := openaiHarness(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"usage":{"total_tokens":120}}`)
	})
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 40) + `"}],"max_tokens":100000}`
	resp, _ := h.do("POST", "/proxy/openai/v1/chat/completions", big, nil)
	if got, want := resp.Header.Get("Ratelord-Estimate-Clamped"), `"openai-tokens";estimate=100010;charged=30000`; got != want {
		t.Errorf("Ratelord-Estimate-Clamped %q, want %q", got, want)
	}
	if resp.StatusCode != 200 || charged.Load() != 30000 {
		t.Errorf("status %d, charged %d; want 200 and the pool's 30000", resp.StatusCode, charged.Load())
	}
	if st := h.pool("openai-tokens"); st.Used != 120 {
		t.Errorf("tokens used %d, want the usage 120", st.Used)
	}
}
