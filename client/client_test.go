package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ratelord/ratelord/client"
)

// MustServe starts a fake daemon that answers with the given handlers, keyed
// by http.ServeMux pattern, and returns a Client for it.
func MustServe(tb testing.TB, routes map[string]http.HandlerFunc) *client.Client {
	tb.Helper()
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
	}
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return client.New(srv.URL + "/")
}

// writeJSON answers with status and body, which is sent as is.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// MustDecode decodes a request body into a generic map.
func MustDecode(tb testing.TB, r *http.Request) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		tb.Fatalf("decode request: %v", err)
	}
	return m
}

func TestTokenIsSentAsBearer(t *testing.T) {
	t.Parallel()
	var got string
	c := MustServe(t, map[string]http.HandlerFunc{
		"DELETE /v1/leases/{id}": func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("Authorization")
			writeJSON(w, 200, `{"lease_id":"l1","released":true}`)
		},
	})
	c.Token = "s3cret"
	if err := c.Release(context.Background(), "l1"); err != nil {
		t.Fatal(err)
	}
	if got != "Bearer s3cret" {
		t.Errorf("Authorization = %q, want %q", got, "Bearer s3cret")
	}
}

func TestNoTokenNoAuthorization(t *testing.T) {
	t.Parallel()
	got := "unset"
	c := MustServe(t, map[string]http.HandlerFunc{
		"DELETE /v1/leases/{id}": func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("Authorization")
			writeJSON(w, 200, `{"lease_id":"l1","released":true}`)
		},
	})
	if err := c.Release(context.Background(), "l1"); err != nil {
		t.Fatal(err)
	}
	if got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

func TestUnauthorizedIsAPIError(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/pools": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, `{"error":{"code":"unauthorized","message":"missing bearer token"}}`)
		},
	})
	_, err := c.Pools(context.Background())
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if ae.Status != 401 || ae.Code != "unauthorized" || ae.Message != "missing bearer token" {
		t.Errorf("APIError = %+v", ae)
	}
	if want := "list pools: unauthorized: missing bearer token"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestNonJSONErrorKeepsBody(t *testing.T) {
	t.Parallel()
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/pools": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			io.WriteString(w, "<html>bad gateway</html>\n")
		},
	})
	_, err := c.Pools(context.Background())
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if ae.Status != 502 || ae.Code != "" || ae.Message != "<html>bad gateway</html>" {
		t.Errorf("APIError = %+v", ae)
	}
	if !strings.Contains(err.Error(), "HTTP 502: ") {
		t.Errorf("err = %q, want it to name the status", err)
	}
}

func TestOnResponseSeesRawBody(t *testing.T) {
	t.Parallel()
	const body = `{"pools":[]}`
	c := MustServe(t, map[string]http.HandlerFunc{
		"GET /v1/pools": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) },
	})
	var got string
	c.OnResponse = func(method, path string, status int, b []byte) {
		got = method + " " + path + " " + string(b)
	}
	if _, err := c.Pools(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := "GET /v1/pools " + body; got != want {
		t.Errorf("OnResponse saw %q, want %q", got, want)
	}
}

func TestUnreachableDaemonIsTransportError(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := client.New("http://" + addr)
	_, err = c.Pools(context.Background())
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a *url.Error", err)
	}
	var ae *client.APIError
	if errors.As(err, &ae) {
		t.Errorf("err = %v is an APIError, want a transport error", err)
	}
}

func TestZeroClientUsesDefaultURL(t *testing.T) {
	t.Parallel()
	var c client.Client
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no request leaves the process; only the URL is checked
	_, err := c.Pools(ctx)
	var ue *url.Error
	if !errors.As(err, &ue) || ue.URL != client.DefaultURL+"/v1/pools" {
		t.Errorf("err = %v, want a request to %s/v1/pools", err, client.DefaultURL)
	}
}
