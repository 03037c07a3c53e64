package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestSettingsPrecedence(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		env        map[string]string
		args       []string
		url, token string
	}{
		{"default", nil, []string{"help"}, defaultURL, ""},
		{"env", map[string]string{"RATELORD_URL": "http://env:1", "RATELORD_AUTH_TOKEN": "envtok"},
			[]string{"help"}, "http://env:1", "envtok"},
		{"flag beats env", map[string]string{"RATELORD_URL": "http://env:1", "RATELORD_AUTH_TOKEN": "envtok"},
			[]string{"--url", "http://flag:2", "--token", "flagtok", "help"}, "http://flag:2", "flagtok"},
		{"flag after the command", map[string]string{"RATELORD_URL": "http://env:1"},
			[]string{"help", "--url=http://flag:3", "--token=t3"}, "http://flag:3", "t3"},
	} {
		c := newCLI(tc.env, io.Discard, io.Discard)
		c.main(tc.args)
		if c.url != tc.url || c.token != tc.token {
			t.Errorf("%s: url %q token %q, want %q %q", tc.name, c.url, c.token, tc.url, tc.token)
		}
	}
}

func TestTokenReachesDaemon(t *testing.T) {
	t.Parallel()
	var got []string
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{
		"DELETE /v1/leases/{id}": func(w http.ResponseWriter, r *http.Request) {
			got = append(got, r.Header.Get("Authorization"))
			reply(200, `{"lease_id":"l1","released":true}`)(w, r)
		},
	})
	env := map[string]string{"RATELORD_URL": url, "RATELORD_AUTH_TOKEN": "from-env"}
	runCLI(t, env, "release", "l1")
	runCLI(t, env, "--token", "from-flag", "release", "l1")
	want := []string{"Bearer from-env", "Bearer from-flag"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization headers = %q, want %q", got, want)
	}
}

func TestURLFlagBeatsEnv(t *testing.T) {
	t.Parallel()
	url, rec := MustDaemon(t, map[string]http.HandlerFunc{
		"DELETE /v1/leases/{id}": reply(200, `{"lease_id":"l1","released":true}`),
	})
	r := runCLI(t, urlEnv(MustDeadURL(t)), "--url", url, "release", "l1")
	if r.code != exitOK || rec.count("DELETE /v1/leases/l1") != 1 {
		t.Errorf("exit %d, stderr %q; requests %q", r.code, r.stderr, rec.list())
	}
}

func TestUnauthorizedSaysWhatToSet(t *testing.T) {
	t.Parallel()
	url, _ := MustDaemon(t, map[string]http.HandlerFunc{
		"GET /v1/pools": reply(401, `{"error":{"code":"unauthorized","message":"missing or wrong bearer token"}}`),
	})
	r := runCLI(t, urlEnv(url), "status")
	want := "ratelord: list pools: unauthorized: missing or wrong bearer token (set --token or RATELORD_AUTH_TOKEN)\n"
	if r.code != exitError || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
}

func TestUnreachableDaemon(t *testing.T) {
	t.Parallel()
	dead := MustDeadURL(t)
	for _, args := range [][]string{{"status"}, {"acquire", "p"}, {"settle", "l", "1"}, {"release", "l"},
		{"events"}, {"reload"}, {"exec", "p", "--", "true"}} {
		r := runCLI(t, urlEnv(dead), args...)
		want := "ratelord: cannot reach ratelord-d at " + dead +
			": connection refused (is it running? set --url or RATELORD_URL)\n"
		if r.code != exitError || r.stderr != want {
			t.Errorf("%q: exit %d, stderr %q; want 1, %q", args, r.code, r.stderr, want)
		}
	}
}
