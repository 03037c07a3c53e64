package upstream_test

import (
	"testing"

	"github.com/ratelord/ratelord/upstream"
)

// The fuzzers feed arbitrary header values to each parser and check that it
// neither panics nor breaks the invariants of checkDims. Seeds are the
// samples of the table tests; crashers found are kept in testdata/fuzz.

func FuzzParseGitHub(f *testing.F) {
	f.Add("5000", "4999", "1", "1691591363", "core")
	f.Add("60", "0", "", "99999999999999", "")
	f.Add("-1", "9223372036854775808", "1.5", " 7 ", "search")
	f.Fuzz(func(t *testing.T, limit, remaining, used, reset, resource string) {
		h := rawHeader("x-ratelimit-limit", limit, "x-ratelimit-remaining", remaining,
			"X-Ratelimit-Used", used, "x-ratelimit-reset", reset, "x-ratelimit-resource", resource)
		ds := upstream.ParseGitHub(h, now)
		checkDims(t, ds)
		if len(ds) > 1 {
			t.Fatalf("%d dimensions from one set of headers", len(ds))
		}
		o := upstream.Parse("github", h, 403, now)
		checkDims(t, o.Dimensions)
	})
}

func FuzzParseOpenAI(f *testing.F) {
	f.Add("60", "59", "1s", "150000", "149984", "6m0s")
	f.Add("-1", "-1", "60", "", "0", "23h47m36.648s")
	f.Add("x", "1e5", "0.5s", "1", "2", "9999999999h")
	f.Fuzz(func(t *testing.T, lr, rr, tr, lt, rt, tt string) {
		h := rawHeader("x-ratelimit-limit-requests", lr, "x-ratelimit-remaining-requests", rr, "x-ratelimit-reset-requests", tr,
			"X-Ratelimit-Limit-Tokens", lt, "x-ratelimit-remaining-tokens", rt, "x-ratelimit-reset-tokens", tt)
		ds := upstream.ParseOpenAI(h, now)
		checkDims(t, ds)
		for _, d := range ds {
			if !d.ResetAt.IsZero() && d.ResetAt.Before(now) {
				t.Fatalf("reset %v before now", d.ResetAt)
			}
		}
	})
}

func FuzzParseAnthropic(f *testing.F) {
	f.Add("50", "49", "2025-08-21T12:40:59Z", "2025-08-21T14:40:59.5+02:00")
	f.Add("-5", "", "1755780059", "0001-01-01T00:00:00Z")
	f.Fuzz(func(t *testing.T, limit, remaining, reset, reset2 string) {
		h := rawHeader("anthropic-ratelimit-requests-limit", limit, "anthropic-ratelimit-requests-remaining", remaining,
			"anthropic-ratelimit-requests-reset", reset, "Anthropic-Ratelimit-Output-Tokens-Reset", reset2,
			"anthropic-ratelimit-tokens-remaining", remaining)
		checkDims(t, upstream.ParseAnthropic(h, now))
	})
}

func FuzzParseIETF(f *testing.F) {
	f.Add(`"default";q=100;w=60`, `"default";r=50;t=30`, "", "", "")
	f.Add(`"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:`, `"a, \"b\";c";r=4`, "100, 100;w=60", "0", "7")
	f.Add("10;w=1, 50;w=60", "limit=100, remaining=50, reset=30", "50", "12", "1755780059")
	f.Add("default;q=100;w=60", `"open;r=1`, "lots", "-1", "99999999999999999999")
	f.Fuzz(func(t *testing.T, policy, limit, oldLimit, oldRemaining, oldReset string) {
		h := rawHeader("RateLimit-Policy", policy, "ratelimit", limit, "RateLimit-Limit", oldLimit,
			"RateLimit-Remaining", oldRemaining, "RateLimit-Reset", oldReset)
		ds := upstream.ParseIETF(h, now)
		checkDims(t, ds)
		seen := map[string]bool{}
		for _, d := range ds {
			if seen[d.Name] {
				t.Fatalf("dimension %q twice", d.Name)
			}
			seen[d.Name] = true
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120", "")
	f.Add("Fri, 31 Dec 1999 23:59:59 GMT", "634.5")
	f.Add("1.5", "NaN")
	f.Add("Thu, 21 Aug 2025 12:41:30 GMT", "-5")
	f.Fuzz(func(t *testing.T, ra, ms string) {
		d := upstream.ParseRetryAfter(rawHeader("Retry-After", ra, "retry-after-ms", ms), now)
		if d < 0 {
			t.Fatalf("negative Retry-After %v from %q, %q", d, ra, ms)
		}
		if d2 := upstream.ParseRetryAfter(rawHeader("retry-after", ra), now); d2 < 0 {
			t.Fatalf("negative Retry-After %v from %q", d2, ra)
		}
	})
}

func FuzzParseRateLimitBody(f *testing.F) {
	f.Add(`{"resources":{"core":{"limit":5000,"used":1,"remaining":4999,"reset":1691591363}},"rate":{}}`)
	f.Add(`{"rate":{"limit":60,"remaining":59,"reset":1691591363,"used":1}}`)
	f.Add(`{"resources":{"core":{"limit":"5000","remaining":-3,"used":2.0,"reset":null},"search":[1],"x":{"limit":1e3}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		ds, err := upstream.ParseRateLimitBody([]byte(body), now)
		if err != nil && len(ds) > 0 {
			t.Fatalf("dimensions with an error: %v", err)
		}
		if err == nil && len(ds) == 0 {
			t.Fatal("no dimensions and no error")
		}
		checkDims(t, ds)
	})
}

func FuzzTokens(f *testing.F) {
	f.Add(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":100,"n":2}`, 7)
	f.Add("data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"+
		"data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}\n\n", 40)
	f.Add("not json at all", 3)
	f.Fuzz(func(t *testing.T, body string, split int) {
		if n := upstream.EstimateTokens([]byte(body)); n < 0 {
			t.Fatalf("negative estimate %d", n)
		}
		if n, ok := upstream.Usage([]byte(body)); n < 0 || (!ok && n != 0) {
			t.Fatalf("Usage = %d, %v", n, ok)
		}
		var whole, parts upstream.StreamUsage
		whole.Write([]byte(body))
		m := len(body) + 1
		split = (split%m + m) % m
		parts.Write([]byte(body[:split]))
		parts.Write([]byte(body[split:]))
		n1, ok1 := whole.Total()
		n2, ok2 := parts.Total()
		if n1 != n2 || ok1 != ok2 || n1 < 0 {
			t.Fatalf("whole stream %d,%v; split at %d %d,%v", n1, ok1, split, n2, ok2)
		}
	})
}
