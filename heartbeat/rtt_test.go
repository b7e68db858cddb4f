package heartbeat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRTTEstimator(t *testing.T) {
	tests := []struct {
		name                   string
		samples                []time.Duration
		wantLast, wantSRTT     time.Duration
		wantRTTVAR             time.Duration
		wantTimeout            time.Duration // clamped to [100ms, 10s]
		wantTimeoutWithoutClip time.Duration
	}{
		{
			name:        "no samples",
			wantTimeout: 10 * s,
		},
		{
			name:                   "first sample: SRTT = R, RTTVAR = R/2",
			samples:                []time.Duration{100 * ms},
			wantLast:               100 * ms,
			wantSRTT:               100 * ms,
			wantRTTVAR:             50 * ms,
			wantTimeout:            400 * ms,
			wantTimeoutWithoutClip: 400 * ms,
		},
		{
			name:                   "steady link: RTTVAR decays by 3/4",
			samples:                []time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms},
			wantLast:               100 * ms,
			wantSRTT:               100 * ms,
			wantRTTVAR:             21093750 * time.Nanosecond,
			wantTimeout:            284375 * time.Microsecond,
			wantTimeoutWithoutClip: 284375 * time.Microsecond,
		},
		{
			name:                   "slowing link",
			samples:                []time.Duration{1 * s, 2 * s, 4 * s},
			wantLast:               4 * s,
			wantSRTT:               1484375 * time.Microsecond,
			wantRTTVAR:             1187500 * time.Microsecond,
			wantTimeout:            7718750 * time.Microsecond,
			wantTimeoutWithoutClip: 7718750 * time.Microsecond,
		},
		{
			name:                   "very slow link is capped",
			samples:                []time.Duration{8 * s},
			wantLast:               8 * s,
			wantSRTT:               8 * s,
			wantRTTVAR:             4 * s,
			wantTimeout:            10 * s,
			wantTimeoutWithoutClip: 32 * s,
		},
		{
			name:                   "tiny RTT is floored",
			samples:                []time.Duration{time.Microsecond},
			wantLast:               time.Microsecond,
			wantSRTT:               time.Microsecond,
			wantRTTVAR:             500 * time.Nanosecond,
			wantTimeout:            100 * ms,
			wantTimeoutWithoutClip: 4 * time.Microsecond,
		},
		{
			name:        "negative sample counts as zero",
			samples:     []time.Duration{-time.Second},
			wantTimeout: 100 * ms,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e rttEstimator
			for _, r := range tt.samples {
				e.add(r)
			}
			assert.Equal(t, tt.wantLast, e.last, "last")
			assert.Equal(t, tt.wantSRTT, e.srtt, "SRTT")
			assert.Equal(t, tt.wantRTTVAR, e.rttvar, "RTTVAR")
			assert.Equal(t, tt.wantTimeout, e.timeout(100*ms, 10*s), "clamped timeout")
			if len(tt.samples) > 0 {
				assert.Equal(t, tt.wantTimeoutWithoutClip, e.timeout(0, time.Hour), "2·SRTT + 4·RTTVAR")
			}
		})
	}
}
