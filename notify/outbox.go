// Package notify delivers the notifications the workflows write to the notifications outbox:
// a log sender in development, SMTP in production.
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"skillcert/internal/retry"
	"skillcert/models"
)

// Recipient is the person a notification goes to. The outbox reads it from the users table at
// delivery time, so a corrected e-mail address also reaches notifications still pending.
type Recipient struct {
	UserID      string
	Username    string
	DisplayName string
	Email       string
}

// Sender delivers one notification to one recipient. It returns nil once the message has left
// (or been accepted by the next hop), ErrNoAddress when the recipient cannot be reached through
// it, an error wrapped by Permanent when retrying cannot help, and any other error to be retried.
type Sender interface {
	Send(ctx context.Context, to Recipient, n models.Notification) error
}

// ErrNoAddress says the recipient has no address this sender can use (a user without e-mail).
// The outbox records such a notification as sent with a note: it is still in the user's in-app
// list, and retrying would never find an address.
var ErrNoAddress = errors.New("recipient has no address for this sender")

// PermanentError is a delivery failure that retrying cannot fix, such as an unknown mailbox.
type PermanentError struct{ Err error }

// Error describes the failure as permanent.
func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent, so the outbox fails the notification at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// LogSender "delivers" notifications to the log, for `skillcert dev` and tests. It logs IDs,
// kind, subject and a short excerpt of the body only: no names, addresses or ID numbers.
type LogSender struct {
	Logger *slog.Logger
}

// Send logs the notification; it never fails.
func (s LogSender) Send(ctx context.Context, to Recipient, n models.Notification) error {
	l := s.Logger
	if l == nil {
		l = slog.Default()
	}
	l.InfoContext(ctx, "notification delivered to the log", "notificationID", n.ID, "userID", to.UserID,
		"caseID", n.CaseID, "kind", n.Kind, "subject", redact(n.Subject), "excerpt", excerpt(n.Body, 80))
	return nil
}

// SMTPSender delivers notifications as plain-text UTF-8 e-mail through a submission server.
// It upgrades the connection with STARTTLS whenever the server offers it and authenticates with
// PLAIN when Username is set (net/smtp refuses PLAIN over an unencrypted connection to anything
// but localhost, so a password never crosses the network in clear).
type SMTPSender struct {
	// Addr is the server's host:port, e.g. smtp.example.gov.cn:587.
	Addr string
	// From is the sender: an address, or `名称 <address>`.
	From string
	// Username and Password authenticate with AUTH PLAIN; no authentication when Username is empty.
	Username string
	Password string
	// TLSConfig replaces the STARTTLS configuration (a private CA, tests); by default the
	// server's certificate must be valid for the host in Addr.
	TLSConfig *tls.Config
	// LocalName is the host name sent with EHLO; default "localhost".
	LocalName string
}

// smtpDefaultTimeout bounds a delivery whose context has no deadline.
const smtpDefaultTimeout = time.Minute

// Send delivers the notification. A user without an e-mail address gives ErrNoAddress; an
// invalid address or a 5xx reply to RCPT or DATA gives a permanent error.
func (s SMTPSender) Send(ctx context.Context, to Recipient, n models.Notification) error {
	if strings.TrimSpace(to.Email) == "" {
		return ErrNoAddress
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("smtp: invalid From address: %w", err)
	}
	rcpt, err := mail.ParseAddress(to.Email)
	if err != nil {
		// The address itself stays out of the error: errors end up in logs.
		return Permanent(errors.New("smtp: recipient e-mail address is not valid"))
	}
	msg := buildMessage(from, &mail.Address{Name: to.DisplayName, Address: rcpt.Address}, n, time.Now())

	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: invalid server address: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, smtpDefaultTimeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: dial: %w", err)
	}
	// net/smtp knows no contexts: the deadline covers every read and write, and cancellation
	// closes the connection.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if s.LocalName != "" {
		if err := c.Hello(s.LocalName); err != nil {
			return fmt.Errorf("smtp: EHLO: %w", err)
		}
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if s.TLSConfig != nil {
			cfg = s.TLSConfig.Clone()
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("smtp: AUTH: %w", err) // a configuration problem: retried, never permanent
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return rejected("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return rejected("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return rejected("end of DATA", err)
	}
	// The server accepted the message with its reply to the end of DATA; a failed QUIT
	// changes nothing about that.
	_ = c.Quit()
	return nil
}

// rejected classifies a server reply: 5xx to a message or recipient is permanent.
func rejected(step string, err error) error {
	err = fmt.Errorf("smtp: %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return Permanent(err)
	}
	return err
}

// buildMessage renders a notification as a MIME message: UTF-8 plain text in base64, the
// subject and display names RFC 2047-encoded, and a Message-ID made from the notification ID so
// that a second delivery after a crash is recognisable as the same message.
func buildMessage(from, to *mail.Address, n models.Notification, at time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) {
		// RFC 2047 limits a line holding an encoded word to 76 characters: when the name
		// and the first word would not fit, the value starts on a folded line.
		first, _, _ := strings.Cut(v, "\r\n")
		if strings.HasPrefix(v, "=?") && len(k)+2+len(first) > 76 {
			b.WriteString(k + ":\r\n " + v + "\r\n")
			return
		}
		b.WriteString(k + ": " + v + "\r\n")
	}
	domain := "skillcert.invalid"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		domain = from.Address[i+1:]
	}
	header("From", formatAddress(from))
	header("To", formatAddress(to))
	header("Subject", encodeHeader(n.Subject))
	header("Date", at.Format(time.RFC1123Z))
	header("Message-ID", "<"+n.ID+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="UTF-8"`)
	header("Content-Transfer-Encoding", "base64")
	header("Auto-Submitted", "auto-generated") // no out-of-office replies to a robot
	b.WriteString("\r\n")
	body := strings.ReplaceAll(strings.ReplaceAll(n.Body, "\r\n", "\n"), "\n", "\r\n")
	body += "\r\n\r\n——\r\n此邮件由企业职业技能等级认定试点管理系统自动发送，请勿直接回复。\r\n"
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// encodeHeader RFC 2047-encodes a header value (base64 words, which suit Chinese text) and folds
// it between words so that no line grows past the limits of RFC 5322. Control characters
// always force encoding, so a subject cannot inject a header.
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", s), "?= =?", "?=\r\n =?")
}

// formatAddress renders an address header value. A non-ASCII display name is B-encoded (a
// third shorter than net/mail's Q-encoding for Chinese) and folded before the address.
func formatAddress(a *mail.Address) string {
	for _, r := range a.Name {
		if r >= utf8.RuneSelf {
			return encodeHeader(a.Name) + "\r\n <" + a.Address + ">"
		}
	}
	return a.String()
}

var (
	// digitRun catches resident ID numbers (15 or 18 characters) and phone numbers.
	digitRun = regexp.MustCompile(`[0-9]{11,}[0-9Xx]?`)
	emailRe  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// redact removes ID numbers, phone numbers and e-mail addresses from text bound for a log.
func redact(s string) string {
	s = digitRun.ReplaceAllString(s, "[redacted]")
	return emailRe.ReplaceAllString(s, "[redacted]")
}

// excerpt is the first n characters of a redacted text. Redaction comes first so that a cut
// cannot leave part of an ID number behind.
func excerpt(s string, n int) string {
	s = redact(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Defaults of the Outbox.
const (
	outboxBatch        = 50
	claimLease         = 5 * time.Minute // a sending row older than this lost its sender
	defaultInterval    = 5 * time.Second
	defaultMaxAttempts = 10
	defaultRetryDelay  = 30 * time.Second
	defaultSendTimeout = time.Minute
)

// Outbox delivers the notifications the workflows write to the notifications table. Any number
// of worker replicas may run one against the same database: each row is claimed by one
// conditional UPDATE before it is sent, so no two replicas send the same row. Delivery is
// at-least-once: a replica that dies between sending and recording loses its claim after five
// minutes and the row is sent again.
type Outbox struct {
	DB     *models.DB
	Sender Sender
	Logger *slog.Logger
	// Interval is the pause between polls when nothing is due; default 5 s.
	Interval time.Duration
	// MaxAttempts is how many failed attempts make a notification failed; default 10.
	MaxAttempts int
	// RetryDelay is the wait after the first failure; it doubles after each further failure, up
	// to an hour. Default 30 s.
	RetryDelay time.Duration
	// SendTimeout bounds one delivery; default 1 min. It must stay well below the five-minute
	// claim lease, or a slow send would be released and sent a second time.
	SendTimeout time.Duration
}

// Run delivers due notifications until ctx ends. A delivery under way when ctx ends is finished
// (within SendTimeout) and recorded, so shutdown never strands a claimed row. It returns nil
// when ctx ends and an error only when the Outbox is not configured.
func (o *Outbox) Run(ctx context.Context) error {
	if o.DB == nil || o.Sender == nil {
		return errors.New("outbox: DB and Sender are required")
	}
	interval := o.Interval
	if interval <= 0 {
		interval = defaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := o.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			o.logger().Warn("outbox pass failed", "err", redact(err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// DeliverDue makes one delivery attempt for every notification due now, batch by batch, and
// returns how many this replica attempted.
func (o *Outbox) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		read, claimed, err := o.deliverBatch(ctx)
		total += claimed
		if err != nil {
			return total, err
		}
		// A short batch means nothing more is due; a full one that another replica took
		// entirely is left to it.
		if read < outboxBatch || claimed == 0 {
			break
		}
	}
	return total, nil
}

func (o *Outbox) deliverBatch(ctx context.Context) (read, claimed int, err error) {
	now := time.Now()
	if n, err := o.DB.ReleaseStaleClaims(ctx, now.Add(-claimLease), now, o.maxAttempts()); err != nil {
		return 0, 0, fmt.Errorf("release stale claims: %w", err)
	} else if n > 0 {
		o.logger().Warn("notifications released after their sender stopped", "count", n)
	}
	ns, err := o.DB.DueNotifications(ctx, now, outboxBatch)
	if err != nil {
		return 0, 0, fmt.Errorf("read due notifications: %w", err)
	}
	for _, n := range ns {
		if ctx.Err() != nil {
			break
		}
		token := models.NewID()
		ok, err := o.DB.ClaimNotification(ctx, n.ID, token, time.Now())
		if err != nil {
			return len(ns), claimed, fmt.Errorf("claim notification: %w", err)
		}
		if !ok {
			continue // another replica has it
		}
		claimed++
		o.deliver(ctx, n, token)
	}
	return len(ns), claimed, nil
}

// deliver sends one claimed notification and records the outcome. It runs on a context that
// outlives ctx's cancellation (bounded by SendTimeout) so a claimed row is always recorded.
func (o *Outbox) deliver(ctx context.Context, n models.Notification, token string) {
	timeout := o.SendTimeout
	if timeout <= 0 {
		timeout = defaultSendTimeout
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	r := o.attempt(dctx, n)
	log := o.logger().With("notificationID", n.ID, "caseID", n.CaseID, "kind", n.Kind, "attempt", n.Attempts+1)
	ok, err := o.DB.FinishNotification(dctx, n.ID, token, r)
	switch {
	case err != nil:
		// The row stays in sending and is released after the claim lease.
		log.Error("record notification delivery", "err", err)
		return
	case !ok:
		log.Warn("notification claim lost before its delivery was recorded")
		return
	}
	switch r.Status {
	case models.NotificationSent:
		log.Debug("notification delivered", "note", r.Note)
	case models.NotificationPending:
		log.Warn("notification delivery failed, will retry", "retryAt", r.NextAttemptAt, "err", redact(r.Error))
	default:
		log.Error("notification delivery given up", "err", redact(r.Error))
	}
}

// attempt resolves the recipient, sends and classifies the result.
func (o *Outbox) attempt(ctx context.Context, n models.Notification) models.DeliveryResult {
	now := time.Now()
	u, err := o.DB.UserByID(ctx, n.UserID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return models.DeliveryResult{Status: models.NotificationFailed, At: now, Error: "recipient not found"}
	case err != nil:
		return o.retry(n, now, fmt.Errorf("read recipient: %w", err))
	case !u.Active:
		return models.DeliveryResult{Status: models.NotificationSent, At: now, Note: "recipient account inactive: not delivered"}
	}
	err = o.Sender.Send(ctx, Recipient{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email}, n)
	now = time.Now()
	var perm *PermanentError
	switch {
	case err == nil:
		return models.DeliveryResult{Status: models.NotificationSent, At: now}
	case errors.Is(err, ErrNoAddress):
		return models.DeliveryResult{Status: models.NotificationSent, At: now, Note: "no address for this channel: in-app only"}
	case errors.As(err, &perm):
		return models.DeliveryResult{Status: models.NotificationFailed, At: now, Error: err.Error()}
	}
	return o.retry(n, now, err)
}

// retry schedules the next attempt with exponential backoff, or gives up after MaxAttempts.
func (o *Outbox) retry(n models.Notification, now time.Time, err error) models.DeliveryResult {
	attempt := n.Attempts + 1
	if attempt >= o.maxAttempts() {
		return models.DeliveryResult{Status: models.NotificationFailed, At: now, Error: err.Error()}
	}
	delay := retry.Backoff(o.RetryDelay, defaultRetryDelay, attempt, 0)
	return models.DeliveryResult{Status: models.NotificationPending, At: now, NextAttemptAt: now.Add(delay), Error: err.Error()}
}

func (o *Outbox) maxAttempts() int {
	if o.MaxAttempts <= 0 {
		return defaultMaxAttempts
	}
	return o.MaxAttempts
}

func (o *Outbox) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.Default()
	}
	return o.Logger
}
