package quota_test

import (
	"testing"

	"github.com/ratelord/ratelord/quota"
)

func TestFixed(t *testing.T) {
	t.Parallel()
	lim := quota.Limit{Algorithm: quota.Fixed, Limit: 3, Window: 10}
	tests := []struct {
		name  string
		limit quota.Limit
		ops   []op
	}{
		{"boundaries and retry at the returned time", lim, []op{
			grant(0, 2, 0), grant(9, 1, 9),
			deny(9, 1, 10),
			grant(10, 3, 10),
			usage(15, quota.Usage{Used: 3, Remaining: 0, ResetAt: 20}),
			deny(15, 1, 20),
			earliest(15, 15, 4, full, 0, false),
			prune(19, false),
			prune(20, true),
			usage(20, quota.Usage{Used: 0, Remaining: 3, ResetAt: 30}),
		}},
		{"reserve", lim, []op{
			earliest(0, 0, 3, 7000, 0, false), // floor(3*0.7) = 2
			earliest(0, 0, 2, 7000, 0, true),
			charge(0, 2),
			earliest(1, 1, 1, 7000, 10, true),
			earliest(1, 1, 1, full, 1, true),
		}},
		{"booked windows", lim, []op{
			charge(30, 3), charge(41, 3),
			earliest(20, 25, 1, full, 25, true),
			earliest(20, 30, 1, full, 50, true),
			earliest(20, 39, 3, full, 50, true),
			usage(20, quota.Usage{Used: 0, Remaining: 3, ResetAt: 30}),
			usage(31, quota.Usage{Used: 3, Remaining: 0, ResetAt: 40}),
			charge(45, 1),
			earliest(31, 31, 3, full, 50, true),
			earliest(31, 31, 2, full, 50, true),
		}},
		{"align to the upstream's reset", lim, []op{
			grant(0, 3, 0),
			deny(1, 1, 10),
			align(1_000_000_005), // windows now start at 5 + 10k
			deny(1, 1, 5),
			usage(1, quota.Usage{Used: 3, Remaining: 0, ResetAt: 5}),
			grant(5, 3, 5),
			usage(14, quota.Usage{Used: 3, Remaining: 0, ResetAt: 15}),
			roundTrip(),
			deny(14, 1, 15),
			prune(15, false), // the alignment still matters
			usage(15, quota.Usage{Used: 0, Remaining: 3, ResetAt: 25}),
			align(-10), // back to the epoch
			prune(15, true),
		}},
		{"align merges booked windows", lim, []op{
			charge(12, 1), charge(22, 1),
			align(5), // [10,20) and [20,30) start in [5,15) and [15,25)
			earliest(0, 0, 3, full, 0, true),
			earliest(0, 5, 3, full, 25, true),
			earliest(0, 5, 2, full, 5, true),
		}},
		{"adjust refunds and over-charges", lim, []op{
			grant(0, 3, 0),
			adjust(1, 0, -1),
			usage(1, quota.Usage{Used: 2, Remaining: 1, ResetAt: 10}),
			adjust(1, 5, 5), // same window, beyond the limit
			usage(1, quota.Usage{Used: 7, Remaining: 0, ResetAt: 10}),
			adjust(2, 9, -9), // never below zero
			usage(2, quota.Usage{Used: 0, Remaining: 3, ResetAt: 10}),
			grant(3, 2, 3),
			adjust(10, 3, -2),  // the window ended: no-op
			adjust(10, 12, -1), // nothing charged there
			usage(10, quota.Usage{Used: 0, Remaining: 3, ResetAt: 20}),
			prune(10, true),
		}},
		{"burst", quota.Limit{Algorithm: quota.Fixed, Limit: 10, Window: 100, Burst: 4}, []op{
			grant(0, 4, 0),
			deny(0, 1, 10), // 100/10 ns per unit
			grant(20, 2, 20),
			grant(40, 4, 60),
			deny(90, 1, 100), // the window holds 10
			earliest(90, 90, 5, full, 0, false),
			earliest(100, 100, 2, 5000, 100, true),
			earliest(100, 100, 3, 5000, 0, false), // burst floor(4*0.5) = 2
		}},
		{"real magnitudes", quota.Limit{Algorithm: quota.Fixed, Limit: 5000, Window: 3600e9}, []op{
			align(1_700_000_000_123_456_789),
			grant(1_700_000_000_000_000_000, 5000, 1_700_000_000_000_000_000),
			deny(1_700_000_000_000_000_000, 1, 1_700_000_000_123_456_789),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runOps(t, tt.limit, tt.ops)
		})
	}
}
