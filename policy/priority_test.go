package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/ratelord/ratelord/policy"
)

func TestParsePriority(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    policy.Priority
		wantErr string
	}{
		{"", policy.Normal, ""},
		{"low", policy.Low, ""},
		{"normal", policy.Normal, ""},
		{"high", policy.High, ""},
		{"critical", policy.Critical, ""},
		{"High", policy.High, ""},
		{" critical ", policy.Critical, ""},
		{"urgent", policy.Normal, `unknown priority "urgent": use critical, high, normal or low`},
		{"1", policy.Normal, `unknown priority "1": use critical, high, normal or low`},
	}
	for _, tc := range tests {
		got, err := policy.ParsePriority(tc.in)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if got != tc.want || errText != tc.wantErr {
			t.Errorf("ParsePriority(%q) = %v, %q; want %v, %q", tc.in, got, errText, tc.want, tc.wantErr)
		}
	}
}

func TestPriorityString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    policy.Priority
		want string
	}{
		{policy.Low, "low"},
		{policy.Normal, "normal"},
		{policy.High, "high"},
		{policy.Critical, "critical"},
		{policy.Priority(9), "Priority(9)"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("Priority(%d).String() = %q, want %q", uint8(tc.p), got, tc.want)
		}
		if tc.p > policy.Critical {
			continue
		}
		back, err := policy.ParsePriority(tc.want)
		if err != nil || back != tc.p {
			t.Errorf("ParsePriority(%q) = %v, %v; want %v", tc.want, back, err, tc.p)
		}
	}
}

func TestPriorityJSON(t *testing.T) {
	t.Parallel()
	type request struct {
		Priority policy.Priority `json:"priority"`
	}
	b, err := json.Marshal(request{Priority: policy.High})
	if err != nil || string(b) != `{"priority":"high"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var r request
	if err := json.Unmarshal([]byte(`{"priority":"low"}`), &r); err != nil || r.Priority != policy.Low {
		t.Errorf("Unmarshal = %v, %v; want low", r.Priority, err)
	}
	if err := json.Unmarshal([]byte(`{"priority":"urgent"}`), &r); err == nil {
		t.Errorf("Unmarshal of an unknown priority succeeded")
	}
	if _, err := json.Marshal(request{Priority: 7}); err == nil {
		t.Errorf("Marshal of an unknown priority succeeded")
	}
}
