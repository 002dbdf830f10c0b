package domain_test

import (
	"testing"
	"time"

	"skillcert/domain"
)

func TestThrottleBudgetDelayGrowsToCeiling(t *testing.T) {
	b := domain.ThrottleBudget{Window: time.Hour, DelayAfter: 5, FirstDelay: 2 * time.Second, MaxDelay: time.Minute}
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{0, 0}, {4, 0}, {5, 2 * time.Second}, {6, 4 * time.Second}, {7, 8 * time.Second}, {9, 32 * time.Second},
		{10, time.Minute}, {11, time.Minute}, {1000, time.Minute},
	} {
		if got := b.Delay(tc.n); got != tc.want {
			t.Errorf("Delay(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	if got := (domain.ThrottleBudget{}).Delay(100); got != 0 {
		t.Errorf("zero budget Delay(100) = %v, want 0", got)
	}
}

func TestThrottleBudgetJudge(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	login := domain.DefaultThrottleBudgets()[domain.ThrottleLogin]
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name          string
		addr, account domain.ThrottleTally
		want          domain.ThrottleVerdict
	}{
		{"nothing counted", domain.ThrottleTally{}, domain.ThrottleTally{}, domain.ThrottleVerdict{}},
		{"two account failures: nothing due", domain.ThrottleTally{}, domain.ThrottleTally{Count: 2, Last: ago(time.Second)}, domain.ThrottleVerdict{}},
		{"three account failures: captcha", domain.ThrottleTally{}, domain.ThrottleTally{Count: 3, Last: ago(time.Second)}, domain.ThrottleVerdict{Captcha: true}},
		{"five account failures: captcha and 2 s after the last",
			domain.ThrottleTally{}, domain.ThrottleTally{Count: 5, Last: ago(500 * time.Millisecond)},
			domain.ThrottleVerdict{Captcha: true, Wait: 1500 * time.Millisecond}},
		{"many account failures: never more than a minute, no lock",
			domain.ThrottleTally{}, domain.ThrottleTally{Count: 500, Last: ago(0)}, domain.ThrottleVerdict{Captcha: true, Wait: time.Minute}},
		{"delay already waited out", domain.ThrottleTally{}, domain.ThrottleTally{Count: 6, Last: ago(5 * time.Second)},
			domain.ThrottleVerdict{Captcha: true}},
		{"window passed: forgotten", domain.ThrottleTally{Count: 100, Last: ago(15 * time.Minute)},
			domain.ThrottleTally{Count: 100, Last: ago(16 * time.Minute)}, domain.ThrottleVerdict{}},
		{"address: captcha after 10", domain.ThrottleTally{Count: 10, Last: ago(time.Second)}, domain.ThrottleTally{},
			domain.ThrottleVerdict{Captcha: true}},
		{"address: the longer wait wins", domain.ThrottleTally{Count: 30, Last: ago(0)}, domain.ThrottleTally{Count: 5, Last: ago(0)},
			domain.ThrottleVerdict{Captcha: true, Wait: 15 * time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := login.Judge(tc.addr, tc.account, now); got != tc.want {
				t.Errorf("Judge = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestThrottleBudgetsArePerPurpose(t *testing.T) {
	bs := domain.DefaultThrottleBudgets()
	for _, p := range []domain.ThrottlePurpose{domain.ThrottleLogin, domain.ThrottleRegister, domain.ThrottleComplaint, domain.ThrottleQuery} {
		b, ok := bs[p]
		if !ok || b.Off() {
			t.Errorf("purpose %s has no budget", p)
		}
		if b.Address.CaptchaAfter == 0 || b.Address.DelayAfter <= b.Address.CaptchaAfter {
			t.Errorf("purpose %s: a CAPTCHA must come before any wait: %+v", p, b.Address)
		}
	}
	if a := bs[domain.ThrottleLogin].Account; a.MaxDelay > time.Minute || a.CaptchaAfter > 3 {
		t.Errorf("an account's owner must never wait long, and a CAPTCHA comes after a few failures: %+v", a)
	}
	if !(domain.PurposeBudget{}).Off() {
		t.Error("the zero budget is off")
	}
	// A complaint is due a CAPTCHA long before 25 could be filed.
	c := bs[domain.ThrottleComplaint].Address
	now := time.Now()
	if !c.CaptchaDue(domain.ThrottleTally{Count: 3, Last: now}, now) {
		t.Error("three complaints from one address in a moment: CAPTCHA due")
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"203.0.113.7", "addr:203.0.113.7"},
		{" 203.0.113.7 ", "addr:203.0.113.7"},
		{"::ffff:203.0.113.7", "addr:203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "addr:2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "addr:2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "addr:2001:db8:1:3::/64"},
		{"fe80::1%eth0", "addr:fe80::/64"},
		{"::1", "addr:::/64"},
		{"not-an-ip", "addr:not-an-ip"},
	} {
		if got := domain.AddressKey(tc.in); got != tc.want {
			t.Errorf("AddressKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if domain.AccountKey(" Alice ") != domain.AccountKey("alice") {
		t.Error("account keys ignore case and space")
	}
}
