package governor_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ratelord/ratelord/governor"
)

func TestCostsJSONKeepsOrderAndRejectsBadShapes(t *testing.T) {
	t.Parallel()
	want := governor.Costs{{Pool: "z", Units: 3}, {Pool: "a", Units: 0}, {Pool: "m.n-1", Units: 1500}}
	b, err := json.Marshal(want)
	if err != nil || string(b) != `{"z":3,"a":0,"m.n-1":1500}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	for _, in := range []string{string(b), ` { "z" : 3 , "a":0,"m.n-1" : 1500 } `, `{"z":3,"a":0,"m.n\u002d1":1500}`} {
		var got governor.Costs
		if err := json.Unmarshal([]byte(in), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("unmarshal %s = %v, %v", in, got, err)
		}
	}
	var empty governor.Costs
	if err := json.Unmarshal([]byte(`{}`), &empty); err != nil || len(empty) != 0 {
		t.Errorf("{} = %v, %v", empty, err)
	}
	for _, bad := range []string{`{"p":1.5}`, `{"p":"x"}`, `[1]`, `{"p":1,}`, `{"p":1} x`, `{"p"}`} {
		var c governor.Costs
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("unmarshal %s: no error, got %v", bad, c)
		}
	}
}
