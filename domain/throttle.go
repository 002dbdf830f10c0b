package domain

import (
	"net/netip"
	"strings"
	"time"
)

// Abuse resistance of the routes anyone can reach: logging in, registering an enterprise,
// filing a complaint and querying certificates. Attempts are counted per purpose (each has a
// budget of its own, so registrations never slow logins down) by client address and, for
// logins, by account. A count grows while attempts keep coming and is forgotten once its
// window has passed since the last one. A few attempts make a CAPTCHA due, which is the main
// defence; more make each further attempt wait, longer and longer up to a ceiling. Nothing locks
// an account: its owner, with the CAPTCHA solved, waits at most the account's ceiling.

// ThrottlePurpose names what an attempt is for; each purpose has its own budget.
type ThrottlePurpose string

// The purposes.
const (
	ThrottleLogin     ThrottlePurpose = "login"     // a failed login (successes are not counted)
	ThrottleRegister  ThrottlePurpose = "register"  // an enterprise registration, accepted or not
	ThrottleComplaint ThrottlePurpose = "complaint" // a complaint filed
	ThrottleQuery     ThrottlePurpose = "query"     // a public certificate query or verification
	ThrottleObjection ThrottlePurpose = "objection" // an objection to a publicity of results
)

// ThrottleBudget is how many attempts one key (an address or an account) may make for a
// purpose before a CAPTCHA is due and before attempts wait. The zero value never asks for
// either.
type ThrottleBudget struct {
	// Window: a count is forgotten once this long has passed since its last attempt.
	Window time.Duration
	// CaptchaAfter attempts within the window make a CAPTCHA due for every further one (0: never).
	CaptchaAfter int
	// DelayAfter attempts within the window make every further one wait, FirstDelay after the
	// last attempt, doubled with each attempt beyond, up to MaxDelay (0: never).
	DelayAfter           int
	FirstDelay, MaxDelay time.Duration
}

// PurposeBudget is a purpose's budget by address and by account (only logins have an account).
type PurposeBudget struct {
	Address, Account ThrottleBudget
}

// Off tells whether the budget never asks for anything, so that attempts need not be counted.
func (b PurposeBudget) Off() bool {
	return b.Address.CaptchaAfter == 0 && b.Address.DelayAfter == 0 && b.Account.CaptchaAfter == 0 && b.Account.DelayAfter == 0
}

// ThrottleBudgets are the budgets of every purpose.
type ThrottleBudgets map[ThrottlePurpose]PurposeBudget

// DefaultThrottleBudgets are the pilot's budgets.
//
//   - Login, by account: a CAPTCHA from the 4th try after 3 failures; from the 6th, waits of 2 s,
//     4 s, 8 s … at most a minute (where a hard lock used to shut the owner out for 15 minutes).
//     By address (an office behind one NAT address shares it): a CAPTCHA after 10 failures,
//     waits from the 21st up to 15 minutes.
//   - Registration, by address: a CAPTCHA after 3 attempts in an hour (checked once the fields
//     are right), waits after 20 (attempts with mistakes count too, and people make a few).
//   - Complaint, by address: a CAPTCHA after 2 complaints in an hour, waits after 5.
//   - Objection to a publicity of results, by address: as a complaint.
//   - Public query, by address: a CAPTCHA after 10 queries in an hour, waits after 50.
func DefaultThrottleBudgets() ThrottleBudgets {
	return ThrottleBudgets{
		ThrottleLogin: {
			Account: ThrottleBudget{Window: 15 * time.Minute, CaptchaAfter: 3, DelayAfter: 5, FirstDelay: 2 * time.Second, MaxDelay: time.Minute},
			Address: ThrottleBudget{Window: 15 * time.Minute, CaptchaAfter: 10, DelayAfter: 20, FirstDelay: 2 * time.Second, MaxDelay: 15 * time.Minute},
		},
		ThrottleRegister: {
			Address: ThrottleBudget{Window: time.Hour, CaptchaAfter: 3, DelayAfter: 20, FirstDelay: 30 * time.Second, MaxDelay: 30 * time.Minute},
		},
		ThrottleComplaint: {
			Address: ThrottleBudget{Window: time.Hour, CaptchaAfter: 2, DelayAfter: 5, FirstDelay: time.Minute, MaxDelay: time.Hour},
		},
		ThrottleObjection: {
			Address: ThrottleBudget{Window: time.Hour, CaptchaAfter: 2, DelayAfter: 5, FirstDelay: time.Minute, MaxDelay: time.Hour},
		},
		ThrottleQuery: {
			Address: ThrottleBudget{Window: time.Hour, CaptchaAfter: 10, DelayAfter: 50, FirstDelay: time.Second, MaxDelay: 10 * time.Minute},
		},
	}
}

// ThrottleTally is what has been counted for one key: how many attempts, the last one when.
type ThrottleTally struct {
	Count int
	Last  time.Time
}

// live is the count that still holds at now (zero once the window has passed).
func (b ThrottleBudget) live(t ThrottleTally, now time.Time) int {
	if t.Count <= 0 || b.Window <= 0 || !now.Before(t.Last.Add(b.Window)) {
		return 0
	}
	return t.Count
}

// CaptchaDue tells whether the next attempt needs a CAPTCHA.
func (b ThrottleBudget) CaptchaDue(t ThrottleTally, now time.Time) bool {
	return b.CaptchaAfter > 0 && b.live(t, now) >= b.CaptchaAfter
}

// Delay is how long after the last of n attempts the next may come (zero below DelayAfter).
func (b ThrottleBudget) Delay(n int) time.Duration {
	if b.DelayAfter <= 0 || n < b.DelayAfter {
		return 0
	}
	d := b.FirstDelay
	for i := b.DelayAfter; i < n && d < b.MaxDelay; i++ {
		d *= 2
	}
	return min(d, b.MaxDelay)
}

// Wait is how long the next attempt must still wait at now.
func (b ThrottleBudget) Wait(t ThrottleTally, now time.Time) time.Duration {
	n := b.live(t, now)
	if n == 0 {
		return 0
	}
	return max(t.Last.Add(b.Delay(n)).Sub(now), 0)
}

// ThrottleVerdict is the answer for the next attempt: wait this long first, and whether it
// needs a CAPTCHA.
type ThrottleVerdict struct {
	Wait    time.Duration
	Captcha bool
}

// Judge combines the address's and the account's tallies (the account's zero when there is
// none): the longer wait, and a CAPTCHA when either asks for one.
func (b PurposeBudget) Judge(address, account ThrottleTally, now time.Time) ThrottleVerdict {
	return ThrottleVerdict{
		Wait:    max(b.Address.Wait(address, now), b.Account.Wait(account, now)),
		Captcha: b.Address.CaptchaDue(address, now) || b.Account.CaptchaDue(account, now),
	}
}

// AddressKey is the throttling key of a client address: an IPv4 address itself, an IPv6
// address's /64 prefix (one subscriber usually holds a whole /64, so counting single IPv6
// addresses would let one client take as many budgets as it likes). IPv4 in IPv6 counts as
// IPv4. Anything unparseable is its own key.
func AddressKey(addr string) string {
	ip, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return "addr:" + strings.TrimSpace(addr)
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return "addr:" + ip.String()
	}
	p, _ := ip.Prefix(64)
	return "addr:" + p.String()
}

// AccountKey is the throttling key of the account a login names; usernames compare without
// case and surrounding space, so variants of one name share a budget.
func AccountKey(username string) string {
	return "account:" + strings.ToLower(strings.TrimSpace(username))
}
