package quota_test

import (
	"testing"

	"github.com/ratelord/ratelord/quota"
)

func TestSliding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		limit quota.Limit
		ops   []op
	}{
		{"boundaries and retry at the returned time", quota.Limit{Limit: 3, Window: 10}, []op{
			grant(0, 1, 0), grant(0, 1, 0), grant(5, 1, 5),
			deny(5, 1, 10), // the units at 0 stop counting at 0+Window
			deny(9, 2, 10),
			grant(10, 2, 10),
			deny(12, 1, 15),
			usage(12, quota.Usage{Used: 3, Remaining: 0, ResetAt: 15}),
			grant(15, 1, 15),
			prune(24, false),
			usage(24, quota.Usage{Used: 1, Remaining: 2, ResetAt: 25}),
			prune(25, true),
			usage(25, quota.Usage{Used: 0, Remaining: 3, ResetAt: 25}),
		}},
		{"cost above the usable capacity never fits", quota.Limit{Limit: 3, Window: 10}, []op{
			earliest(0, 0, 4, full, 0, false),
			earliest(0, 0, 3, 7000, 0, false), // floor(3*0.7) = 2
			earliest(0, 0, 2, 7000, 0, true),
			earliest(0, 0, 1, 0, 0, false),
			earliest(0, 0, 0, full, 0, true),
		}},
		{"reserve keeps a share back", quota.Limit{Limit: 10, Window: 100}, []op{
			grant(0, 6, 0),
			earliest(1, 1, 1, 7000, 1, true),
			charge(1, 1),
			earliest(2, 2, 1, 7000, 100, true),
			earliest(2, 2, 3, full, 2, true),
			earliest(2, 2, 4, full, 100, true),
			earliest(2, 2, 2, 9000, 2, true),
			earliest(2, 2, 3, 9000, 100, true),
		}},
		{"booked slots", quota.Limit{Limit: 2, Window: 10}, []op{
			charge(5, 2), charge(40, 2), // booked by waiters at now = 0
			earliest(0, 0, 2, full, 15, true),
			earliest(0, 6, 2, full, 15, true), // between the two bookings
			earliest(0, 26, 2, full, 26, true),
			earliest(0, 31, 1, full, 50, true), // [31, 41) holds the booking at 40
			earliest(0, 20, 1, full, 20, true),
			charge(20, 1),
			earliest(0, 15, 2, full, 30, true),
			earliest(0, 15, 1, full, 15, true),
			usage(3, quota.Usage{Used: 0, Remaining: 2, ResetAt: 3}),
			usage(7, quota.Usage{Used: 2, Remaining: 0, ResetAt: 15}),
		}},
		{"same instant charges merge", quota.Limit{Limit: 4, Window: 10}, []op{
			charge(3, 1), charge(3, 1), charge(1, 1), charge(3, 1),
			usage(3, quota.Usage{Used: 4, Remaining: 0, ResetAt: 11}),
			deny(3, 1, 11),
			deny(3, 2, 13),
			adjust(4, 3, -3),
			usage(4, quota.Usage{Used: 1, Remaining: 3, ResetAt: 11}),
		}},
		{"adjust refunds and over-charges", quota.Limit{Limit: 5, Window: 10}, []op{
			grant(0, 3, 0),
			adjust(2, 0, -2),
			usage(2, quota.Usage{Used: 1, Remaining: 4, ResetAt: 10}),
			adjust(2, 0, -5), // never below zero
			usage(2, quota.Usage{Used: 0, Remaining: 5, ResetAt: 2}),
			grant(3, 5, 3),
			adjust(4, 3, 2), // the upstream spent more: counts beyond the limit
			usage(4, quota.Usage{Used: 7, Remaining: 0, ResetAt: 13}),
			deny(5, 1, 13),
			adjust(13, 3, -7), // no longer counts: no-op
			grant(13, 5, 13),
			adjust(14, 12, -1), // nothing charged at 12
			usage(14, quota.Usage{Used: 5, Remaining: 0, ResetAt: 23}),
			adjust(14, 20, 1), // settles a booked slot that held nothing
			deny(14, 1, 23),
			usage(20, quota.Usage{Used: 6, Remaining: 0, ResetAt: 23}),
		}},
		{"json round trip keeps behaviour", quota.Limit{Limit: 3, Window: 10}, []op{
			grant(0, 1, 0), grant(2, 1, 2), charge(30, 3),
			roundTrip(),
			grant(4, 1, 4),
			deny(4, 1, 10),
			earliest(4, 21, 1, full, 40, true),
			roundTrip(),
			usage(5, quota.Usage{Used: 3, Remaining: 0, ResetAt: 10}),
			prune(39, false),
			prune(40, true),
		}},
		{"real magnitudes", quota.Limit{Limit: 5000, Window: 3600e9}, []op{
			grant(1_700_000_000_000_000_000, 5000, 1_700_000_000_000_000_000),
			deny(1_700_000_001_000_000_000, 1, 1_700_003_600_000_000_000),
		}},
		{"burst smooths within the window", quota.Limit{Limit: 3, Window: 100, Burst: 2}, []op{
			grant(0, 1, 0), grant(0, 1, 0),
			deny(0, 1, 34), // one token back after 100/3 ns
			grant(34, 1, 34),
			deny(40, 1, 100), // the window is full until the units at 0 expire
			earliest(40, 40, 3, full, 0, false),
			earliest(100, 100, 2, full, 100, true),
			earliest(100, 100, 1, 5000, 134, true), // burst floor(2*0.5) = 1, limit floor(3*0.5) = 1
			earliest(100, 100, 2, 7000, 0, false),
		}},
		{"burst with bookings", quota.Limit{Limit: 10, Window: 100, Burst: 2}, []op{
			charge(50, 2),
			earliest(0, 0, 1, full, 60, true), // the burst is a single queue
			adjust(10, 50, -2),
			// The GCRA keeps no history: a refunded booking still holds the
			// burst back until its slot (conservative, never over-admits).
			earliest(10, 10, 2, full, 50, true),
			earliest(10, 10, 1, full, 40, true),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runOps(t, tt.limit, tt.ops)
		})
	}
}
