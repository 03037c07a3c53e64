package quota_test

import (
	"testing"

	"github.com/ratelord/ratelord/quota"
)

func TestBucket(t *testing.T) {
	t.Parallel()
	lim := quota.Limit{Algorithm: quota.Bucket, Limit: 10, Window: 100} // 10 ns per token
	const now = 1_700_000_000_000_000_000
	tests := []struct {
		name  string
		limit quota.Limit
		ops   []op
	}{
		{"refill and retry at the returned time", lim, []op{
			grant(0, 10, 0),
			deny(0, 1, 10),
			usage(0, quota.Usage{Used: 10, Remaining: 0, ResetAt: 100}),
			usage(55, quota.Usage{Used: 5, Remaining: 5, ResetAt: 100}), // 5.5 tokens back
			grant(55, 4, 55),
			usage(55, quota.Usage{Used: 9, Remaining: 1, ResetAt: 140}),
			deny(55, 2, 60),
			earliest(55, 55, 11, full, 0, false),
			grant(65, 2, 65),
			prune(159, false),
			prune(160, true),
			usage(160, quota.Usage{Used: 0, Remaining: 10, ResetAt: 160}),
		}},
		{"reserve keeps tokens back", lim, []op{
			grant(0, 3, 0),
			earliest(0, 0, 4, 7000, 0, true),
			earliest(0, 0, 5, 7000, 10, true), // 7 usable, 3 taken: wait for 1 token
			earliest(0, 0, 8, 7000, 0, false),
			earliest(0, 0, 5, full, 0, true),
		}},
		{"adjust refunds and over-charges", lim, []op{
			grant(0, 10, 0),
			grant(55, 4, 55),
			adjust(60, 55, -4),
			usage(60, quota.Usage{Used: 4, Remaining: 6, ResetAt: 100}),
			adjust(60, 55, -20), // back to full, not beyond
			usage(60, quota.Usage{Used: 0, Remaining: 10, ResetAt: 60}),
			grant(60, 10, 60),
			adjust(60, 60, 4), // the upstream spent more
			usage(60, quota.Usage{Used: 14, Remaining: 0, ResetAt: 200}),
			deny(60, 1, 110),
			adjust(300, 60, -5), // full again: no-op
			usage(300, quota.Usage{Used: 0, Remaining: 10, ResetAt: 300}),
			adjust(300, 10, 3), // charged so long ago it refilled
			usage(300, quota.Usage{Used: 0, Remaining: 10, ResetAt: 300}),
		}},
		{"burst sets the capacity", quota.Limit{Algorithm: quota.Bucket, Limit: 10, Window: 100, Burst: 3}, []op{
			grant(0, 3, 0),
			deny(0, 1, 10),
			earliest(0, 0, 4, full, 0, false),
			usage(15, quota.Usage{Used: 2, Remaining: 1, ResetAt: 30}),
		}},
		{"exact fractions", quota.Limit{Algorithm: quota.Bucket, Limit: 3, Window: 10}, []op{
			grant(0, 1, 0), grant(0, 1, 0), grant(0, 1, 0),
			deny(0, 1, 4), // a token every 10/3 ns
			grant(4, 1, 4),
			usage(4, quota.Usage{Used: 3, Remaining: 0, ResetAt: 14}), // 0.2 tokens left
			deny(4, 1, 7),
			roundTrip(),
			deny(4, 1, 7),
			deny(4, 3, 14),
		}},
		{"booked slots queue", lim, []op{
			charge(50, 10),
			earliest(0, 0, 1, full, 60, true),
			earliest(0, 200, 1, full, 200, true),
		}},
		{"real magnitudes", quota.Limit{Algorithm: quota.Bucket, Limit: 7, Window: 3600e9}, []op{
			grant(now, 7, now),
			deny(now, 1, now+514_285_714_286), // ceil(3600e9/7)
			usage(now+1, quota.Usage{Used: 7, Remaining: 0, ResetAt: now + 3600e9}),
			usage(now+3600e9/2, quota.Usage{Used: 4, Remaining: 3, ResetAt: now + 3600e9}),
		}},
		{"huge cost and window", quota.Limit{Algorithm: quota.Bucket, Limit: 1 << 40, Window: 1 << 50}, []op{
			grant(now, 1<<40, now),
			deny(now, 1<<40, now+1<<50),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runOps(t, tt.limit, tt.ops)
		})
	}
}
