package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/notify"
)

// flakySender fails the first attempt of every notification and records every call.
type flakySender struct {
	mu    sync.Mutex
	calls map[string]int // notification ID → Send calls
	sent  map[string]int // notification ID → successful deliveries
	delay time.Duration
}

func newFlakySender() *flakySender {
	return &flakySender{calls: map[string]int{}, sent: map[string]int{}}
}

func (s *flakySender) Send(ctx context.Context, to notify.Recipient, n models.Notification) error {
	if s.delay > 0 {
		time.Sleep(s.delay) // widen the window in which two replicas could race for a row
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[n.ID]++
	if s.calls[n.ID] == 1 {
		return errors.New("421 4.3.0 try again later")
	}
	s.sent[n.ID]++
	return nil
}

func (s *flakySender) counts(id string) (calls, sent int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id], s.sent[id]
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func createUser(t *testing.T, db *models.DB, username, email string, active bool) models.User {
	t.Helper()
	j := "150102"
	u := models.User{Username: username, DisplayName: "张三", Role: models.RoleCountyOfficial, JurisdictionCode: &j,
		Email: email, Active: active, PasswordHash: "x"}
	require.NoError(t, db.CreateUser(context.Background(), &u))
	return u
}

// notifyUsers writes one notification per user the way the workflows do (through a transition)
// and returns their IDs.
func notifyUsers(t *testing.T, db *models.DB, key string, userIDs ...string) []string {
	t.Helper()
	ctx := context.Background()
	tr := models.Transition{Key: key}
	for _, uid := range userIDs {
		tr.Notify = append(tr.Notify, models.NotifyRequest{UserID: uid, Kind: "new_task", Subject: "新待办：盟市审核申报材料",
			Body: "某某有限公司 有一项待办，请于 2027-05-20 前办理。"})
	}
	_, err := db.ApplyTransition(ctx, tr)
	require.NoError(t, err)
	var ids []string
	for _, uid := range userIDs {
		ns, err := db.NotificationsFor(ctx, uid, 200)
		require.NoError(t, err)
		for _, n := range ns {
			if strings.HasPrefix(n.DedupeKey, key+"/") {
				ids = append(ids, n.ID)
			}
		}
	}
	require.Len(t, ids, len(userIDs))
	return ids
}

func TestOutboxRetriesAFailedDeliveryAndDeliversOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		u := createUser(t, db, "u1", "u1@example.cn", true)
		ids := notifyUsers(t, db, "case-1#1", u.ID)
		require.Len(t, ids, 1)
		id := ids[0]
		sender := newFlakySender()
		o := &notify.Outbox{DB: db, Sender: sender, Logger: quietLogger(), RetryDelay: 300 * time.Millisecond}

		n, err := o.DeliverDue(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "attempts in the first pass")
		e, err := db.OutboxEntryByID(ctx, id)
		require.NoError(t, err)
		require.Equal(t, models.NotificationPending, e.Status)
		require.Equal(t, 1, e.Attempts)
		require.Contains(t, e.LastError, "try again later")
		require.NotNil(t, e.NextAttemptAt)
		require.Nil(t, e.SentAt)

		// Not due yet: the backoff holds the row back.
		n, err = o.DeliverDue(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "attempts before the retry is due")

		require.Eventually(t, func() bool {
			n, err := o.DeliverDue(ctx)
			return err == nil && n == 1
		}, 5*time.Second, 50*time.Millisecond, "retry once the backoff has passed")
		e, err = db.OutboxEntryByID(ctx, id)
		require.NoError(t, err)
		require.Equal(t, models.NotificationSent, e.Status)
		require.Equal(t, 2, e.Attempts)
		require.NotNil(t, e.SentAt)
		require.Empty(t, e.ClaimToken)

		n, err = o.DeliverDue(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a sent notification is not attempted again")
		calls, sent := sender.counts(id)
		require.Equal(t, 2, calls, "Send calls")
		require.Equal(t, 1, sent, "deliveries")
	})
}

func TestOutboxReplicasNeverSendTheSameRowTwice(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		var users []string
		for i := range 4 {
			users = append(users, createUser(t, db, fmt.Sprintf("u%d", i), fmt.Sprintf("u%d@example.cn", i), true).ID)
		}
		var ids []string
		for i := range 20 { // 80 rows: more than one batch
			ids = append(ids, notifyUsers(t, db, fmt.Sprintf("case-2#%d", i), users...)...)
		}

		sender := newFlakySender()
		sender.delay = time.Millisecond
		runCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for range 2 {
			o := &notify.Outbox{DB: db, Sender: sender, Logger: quietLogger(), Interval: 10 * time.Millisecond, RetryDelay: 10 * time.Millisecond}
			wg.Go(func() { require.NoError(t, o.Run(runCtx)) })
		}
		require.Eventually(t, func() bool {
			for _, id := range ids {
				if _, sent := sender.counts(id); sent == 0 {
					return false
				}
			}
			return true
		}, 60*time.Second, 20*time.Millisecond, "every notification delivered")
		cancel()
		wg.Wait()

		for _, id := range ids {
			calls, sent := sender.counts(id)
			require.Equal(t, 1, sent, "deliveries of %s", id)
			require.Equal(t, 2, calls, "Send calls of %s: one failure, one success", id)
			e, err := db.OutboxEntryByID(ctx, id)
			require.NoError(t, err)
			require.Equal(t, models.NotificationSent, e.Status, "status of %s", id)
			require.Equal(t, 2, e.Attempts, "attempts of %s", id)
		}
	})
}

func TestOutboxReleasesAClaimWhoseSenderDied(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		u := createUser(t, db, "u1", "u1@example.cn", true)
		id := notifyUsers(t, db, "case-3#1", u.ID)[0]
		// A replica claimed the row ten minutes ago and never came back.
		ok, err := db.ClaimNotification(ctx, id, "dead-replica", time.Now().Add(-10*time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.ClaimNotification(ctx, id, "second", time.Now())
		require.NoError(t, err)
		require.False(t, ok, "a claimed row cannot be claimed again")

		sender := newFlakySender()
		sender.calls[id] = 1 // the next call succeeds
		o := &notify.Outbox{DB: db, Sender: sender, Logger: quietLogger()}
		n, err := o.DeliverDue(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		e, err := db.OutboxEntryByID(ctx, id)
		require.NoError(t, err)
		require.Equal(t, models.NotificationSent, e.Status)
		require.Equal(t, 2, e.Attempts, "the lost attempt counts")

		// The dead replica wakes up: its outcome no longer counts.
		ok, err = db.FinishNotification(ctx, id, "dead-replica", models.DeliveryResult{Status: models.NotificationFailed, At: time.Now(), Error: "late"})
		require.NoError(t, err)
		require.False(t, ok)
		e, err = db.OutboxEntryByID(ctx, id)
		require.NoError(t, err)
		require.Equal(t, models.NotificationSent, e.Status)
	})
}

type senderFunc func(ctx context.Context, to notify.Recipient, n models.Notification) error

func (f senderFunc) Send(ctx context.Context, to notify.Recipient, n models.Notification) error {
	return f(ctx, to, n)
}

func TestOutboxOutcomes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		withMail := createUser(t, db, "mail", "mail@example.cn", true)
		noMail := createUser(t, db, "nomail", "", true)
		inactive := createUser(t, db, "gone", "gone@example.cn", false)
		// Nothing listens on the discard port: a test fails loudly if SMTP dials for a user without e-mail.
		smtpSender := notify.SMTPSender{Addr: "127.0.0.1:9", From: "noreply@example.cn"}
		rejecting := senderFunc(func(context.Context, notify.Recipient, models.Notification) error {
			return notify.Permanent(errors.New("550 5.1.1 mailbox unknown"))
		})
		alwaysDown := senderFunc(func(context.Context, notify.Recipient, models.Notification) error {
			return errors.New("connection refused")
		})
		tests := []struct {
			name         string
			user         string
			sender       notify.Sender
			maxAttempts  int
			wantStatus   string
			wantNote     bool
			wantAttempts int
		}{
			{"no e-mail address: sent with a note", noMail.ID, smtpSender, 0, models.NotificationSent, true, 1},
			{"inactive account: sent with a note", inactive.ID, smtpSender, 0, models.NotificationSent, true, 1},
			{"permanent error: failed at once", withMail.ID, rejecting, 0, models.NotificationFailed, false, 1},
			{"unknown user: failed", "no-such-user", smtpSender, 0, models.NotificationFailed, false, 1},
			{"last attempt fails: failed", withMail.ID, alwaysDown, 1, models.NotificationFailed, false, 1},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := notifyUsers(t, db, fmt.Sprintf("outcome#%d", i), tt.user)
				o := &notify.Outbox{DB: db, Sender: tt.sender, Logger: quietLogger(), MaxAttempts: tt.maxAttempts}
				_, err := o.DeliverDue(ctx)
				require.NoError(t, err)
				e, err := db.OutboxEntryByID(ctx, id[0])
				require.NoError(t, err)
				require.Equal(t, tt.wantStatus, e.Status)
				require.Equal(t, tt.wantAttempts, e.Attempts)
				require.Equal(t, tt.wantNote, e.DeliveryNote != "", "note %q", e.DeliveryNote)
				if tt.wantStatus == models.NotificationFailed {
					require.NotEmpty(t, e.LastError)
				}
			})
		}
	})
}

func TestLogSenderKeepsPersonalDataOutOfTheLog(t *testing.T) {
	var buf bytes.Buffer
	s := notify.LogSender{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	body := "申请人 李四（身份证号 15010219900101123X，手机 13800138000，邮箱 lisi@example.cn）的材料需补正。" +
		strings.Repeat("请按审核意见逐项补正后重新提交。", 10)
	err := s.Send(context.Background(), notify.Recipient{UserID: "u-1", Username: "lisi", DisplayName: "李四", Email: "lisi@example.cn"},
		models.Notification{ID: "n-1", UserID: "u-1", Kind: "returned", Subject: "退回补正：150102199001011234", Body: body})
	require.NoError(t, err)
	out := buf.String()
	for _, secret := range []string{"15010219900101123X", "150102199001011234", "13800138000", "lisi@example.cn", "lisi\""} {
		require.NotContains(t, out, secret)
	}
	require.Contains(t, out, `"notificationID":"n-1"`)
	require.Contains(t, out, `"userID":"u-1"`)
	require.Contains(t, out, `"kind":"returned"`)
	require.NotContains(t, out, "重新提交。请按审核意见逐项补正后重新提交。请按审核意见逐项补正后重新提交。请按", "body beyond 80 characters")
}

// smtpSession is what the fake SMTP server received.
type smtpSession struct {
	auth, from, rcpt string
	data             []byte
}

// fakeSMTP serves one SMTP session on loopback, answering RCPT with rcptReply.
func fakeSMTP(t *testing.T, rcptReply string) (string, <-chan smtpSession) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	got := make(chan smtpSession, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		var s smtpSession
		defer func() { got <- s }()
		tp := textproto.NewConn(conn)
		_ = tp.PrintfLine("220 fake.example.cn ESMTP")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
			switch verb {
			case "EHLO", "HELO":
				_ = tp.PrintfLine("250-fake.example.cn")
				_ = tp.PrintfLine("250 AUTH PLAIN")
			case "AUTH":
				s.auth = line
				_ = tp.PrintfLine("235 2.7.0 accepted")
			case "MAIL":
				s.from = line
				_ = tp.PrintfLine("250 2.1.0 ok")
			case "RCPT":
				s.rcpt = line
				_ = tp.PrintfLine("%s", rcptReply)
			case "DATA":
				_ = tp.PrintfLine("354 go ahead")
				s.data, err = tp.ReadDotBytes()
				if err != nil {
					return
				}
				_ = tp.PrintfLine("250 2.0.0 queued")
			case "QUIT":
				_ = tp.PrintfLine("221 bye")
				return
			default:
				_ = tp.PrintfLine("250 ok")
			}
		}
	}()
	return ln.Addr().String(), got
}

func TestSMTPSenderDeliversAUTF8Message(t *testing.T) {
	tests := []struct {
		name          string
		rcptReply     string
		wantErr       bool
		wantPermanent bool
	}{
		{"accepted", "250 2.1.5 ok", false, false},
		{"mailbox unknown is permanent", "550 5.1.1 mailbox unknown", true, true},
		{"greylisted is retried", "451 4.7.1 greylisted", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, got := fakeSMTP(t, tt.rcptReply)
			s := notify.SMTPSender{Addr: addr, From: "认定试点系统 <noreply@example.cn>", Username: "robot", Password: "s3cret"}
			subject := "新待办：盟市审核申报材料（" + strings.Repeat("呼和浩特市", 12) + "）"
			n := models.Notification{ID: "0190f1e2-aaaa-7bbb-8ccc-123456789abc", Kind: "new_task", Subject: subject,
				Body: "某某有限公司 有一项待办，\n请于 2027-05-20 前办理。"}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := s.Send(ctx, notify.Recipient{UserID: "u-1", DisplayName: "王五", Email: "wangwu@example.cn"}, n)
			var perm *notify.PermanentError
			require.Equal(t, tt.wantErr, err != nil, "error %v", err)
			require.Equal(t, tt.wantPermanent, errors.As(err, &perm), "permanent? error %v", err)
			sess := <-got
			require.Equal(t, "AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00robot\x00s3cret")), sess.auth)
			require.Equal(t, "MAIL FROM:<noreply@example.cn>", sess.from)
			require.Equal(t, "RCPT TO:<wangwu@example.cn>", sess.rcpt)
			if tt.wantErr {
				require.Empty(t, sess.data, "no message after a refused recipient")
				return
			}
			for _, line := range strings.Split(string(sess.data), "\n") {
				require.LessOrEqual(t, len(line), 77, "line %q", line) // 76 and the CR
			}
			msg, err := mail.ReadMessage(bytes.NewReader(sess.data))
			require.NoError(t, err)
			var dec mime.WordDecoder
			gotSubject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
			require.NoError(t, err)
			require.Equal(t, subject, gotSubject)
			to, err := mail.ParseAddress(msg.Header.Get("To"))
			require.NoError(t, err)
			require.Equal(t, "王五", to.Name)
			require.Equal(t, "<"+n.ID+"@example.cn>", msg.Header.Get("Message-Id"))
			require.Equal(t, `text/plain; charset="UTF-8"`, msg.Header.Get("Content-Type"))
			raw, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
			require.NoError(t, err)
			require.True(t, utf8.Valid(raw))
			require.Contains(t, string(raw), "某某有限公司 有一项待办，\r\n请于 2027-05-20 前办理。")
		})
	}
}

func TestSMTPSenderRefusesHeaderInjection(t *testing.T) {
	addr, got := fakeSMTP(t, "250 ok")
	s := notify.SMTPSender{Addr: addr, From: "noreply@example.cn"}
	n := models.Notification{ID: "n-2", Subject: "hello\r\nBcc: victim@example.cn", Body: "x"}
	require.NoError(t, s.Send(context.Background(), notify.Recipient{Email: "a@example.cn"}, n))
	sess := <-got
	msg, err := mail.ReadMessage(bytes.NewReader(sess.data))
	require.NoError(t, err)
	require.Empty(t, msg.Header.Get("Bcc"), "the subject's line break must not start a header")
}
