// Package retry holds the one backoff the delivery loops share (notifications, national sync).
package retry

import "time"

// MaxDelay is the longest wait between two attempts.
const MaxDelay = time.Hour

// Backoff is the wait before the attempt after attempt number attempt: base (def when not set)
// doubled for every attempt after the first, at least atLeast (a server's Retry-After), and at
// most MaxDelay.
func Backoff(base, def time.Duration, attempt int, atLeast time.Duration) time.Duration {
	delay := base
	if delay <= 0 {
		delay = def
	}
	for i := 1; i < attempt && delay < MaxDelay; i++ {
		delay *= 2
	}
	return min(max(delay, atLeast), MaxDelay)
}
