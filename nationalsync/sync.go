// Package nationalsync pushes issued and revoked certificates to the national certificate
// query system, with retries and a delivery record per certificate and action.
package nationalsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"skillcert/internal/retry"
	"skillcert/models"
	"skillcert/models/validate"
)

// NationalRecord is what the national query system receives for one certificate event. The
// national query is keyed on name + full ID number, so the record carries the full number: it is
// opened only here, in the worker, just before an HTTPS request, and is never logged or stored
// in clear (errors name the HTTP status only).
type NationalRecord struct {
	Action     string `json:"action"` // issue | revoke
	Number     string `json:"number"`
	HolderName string `json:"holder_name"`
	// IDType is the ID type's code (domain.IDTypes), IDTypeName its Chinese name (证件类型).
	IDType     string `json:"id_type"`
	IDTypeName string `json:"id_type_name"`
	IDNumber   string `json:"id_number"`
	IDMasked   string `json:"id_masked"`
	// Gender is the GB/T 2261.1 code: 1 男, 2 女, 0 not recorded.
	Gender string `json:"gender"`
	// PhotoRef references the holder's photo ("sha256:<hex>" of the stored image; "" when none).
	PhotoRef string `json:"photo_ref"`
	// FilingCode is the assessing organisation's filing code with the national centre (备案编码).
	FilingCode     string `json:"filing_code"`
	Occupation     string `json:"occupation"`
	OccupationCode string `json:"occupation_code"`
	WorkType       string `json:"work_type"`
	Level          int    `json:"level"`
	IssueDate      string `json:"issue_date"` // YYYY-MM-DD
	Issuer         string `json:"issuer"`
	Status         string `json:"status"` // valid for an issue, revoked for a revocation
}

// NewNationalRecord builds the record of an action on a certificate with the holder's full ID
// number and the organisation's filing code. The status is the one the action leaves, not the
// certificate's current one, so a repeated delivery sends the same body.
func NewNationalRecord(action string, c models.Certificate, idNumber, filingCode string) NationalRecord {
	status := models.CertificateValid
	if action == models.SyncRevoke {
		status = models.CertificateRevoked
	}
	idType := c.IDType
	if idType == "" {
		idType = "resident_id"
	}
	gender := "0"
	switch c.Gender {
	case "male":
		gender = "1"
	case "female":
		gender = "2"
	}
	photo := ""
	if c.PhotoSHA256 != "" {
		photo = "sha256:" + c.PhotoSHA256
	}
	return NationalRecord{Action: action, Number: c.Number, HolderName: c.HolderName, IDType: idType,
		IDTypeName: validate.IDTypeName(idType), IDNumber: idNumber, IDMasked: c.IDMasked, Gender: gender, PhotoRef: photo,
		FilingCode: filingCode, Occupation: c.OccupationName, OccupationCode: c.OccupationCode, WorkType: c.WorkType,
		Level: int(c.Level), IssueDate: c.IssueDateString(), Issuer: c.IssuerName, Status: status}
}

// IDOpener opens a sealed ID number (package pii's Sealer).
type IDOpener interface {
	Open(models.PersonID) (string, error)
}

// errNoFilingCode delays a record whose organisation has no filing code yet: the region sets it,
// and the row is retried until then.
var errNoFilingCode = errors.New("no filing code (备案编码) for the issuing organisation: set enterprises.filing_code or SKILLCERT_NATIONAL_FILING_CODE")

// Defaults of CertificateSync.
const (
	syncBatch              = 50
	syncClaimLease         = 5 * time.Minute
	defaultSyncInterval    = 10 * time.Second
	defaultSyncMaxAttempts = 12
	defaultSyncRetryDelay  = 30 * time.Second
	defaultSyncTimeout     = 30 * time.Second
)

// CertificateSync pushes issued and revoked certificates to the national query system: each
// certificate_sync row is POSTed as a NationalRecord (JSON) to Endpoint. Any number of worker
// replicas may run one: a row is claimed by one conditional UPDATE before it is sent. A 2xx
// answer marks the row sent; a network error, 408, 425, 429 or 5xx is retried with doubling
// delays (from RetryDelay up to an hour, or later if the endpoint's Retry-After says so) until
// MaxAttempts; any other answer fails the row at once. A revocation is sent only after its
// issue was delivered. Delivery is at-least-once (a replica that dies mid-request loses its
// claim after five minutes), so every request carries an Idempotency-Key header,
// "<certificate id>:<action>", by which the endpoint can fold repeats.
type CertificateSync struct {
	DB *models.DB
	// Endpoint is the national system's HTTPS URL that receives the records. There is no
	// default: unset, delivery is disabled and the rows wait (Run says so in the log).
	Endpoint string
	// IDs opens the holders' sealed ID numbers (required).
	IDs IDOpener
	// FilingCode is the filing code sent for an organisation that has none of its own
	// (enterprises.filing_code); empty: such records wait.
	FilingCode string
	// DisabledLogEvery is how often a disabled sync repeats its log line; default 1 h.
	DisabledLogEvery time.Duration
	// Client sends the requests; default http.DefaultClient with RequestTimeout.
	Client *http.Client
	Logger *slog.Logger
	// Interval is the pause between polls; default 10 s.
	Interval time.Duration
	// MaxAttempts is how many failed attempts fail a row; default 12.
	MaxAttempts int
	// RetryDelay is the wait after the first failure; default 30 s.
	RetryDelay time.Duration
	// RequestTimeout bounds one request; default 30 s, well below the claim lease.
	RequestTimeout time.Duration
}

// ErrDisabled is DeliverDue's answer when no endpoint is configured.
var ErrDisabled = errors.New("national certificate sync disabled: no endpoint configured (SKILLCERT_NATIONAL_SYNC_URL)")

// check answers why the sync cannot deliver: ErrDisabled without an endpoint, an error for an
// endpoint that is not HTTPS (the records carry full ID numbers) or a missing DB or opener.
func (s *CertificateSync) check() error {
	switch {
	case s.DB == nil || s.IDs == nil:
		return errors.New("certificate sync: DB and IDs are required")
	case s.Endpoint == "":
		return ErrDisabled
	}
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("certificate sync: the endpoint must be an https:// URL")
	}
	return nil
}

// Run delivers due rows until ctx ends; it returns nil then, and an error only when the sync is
// misconfigured. Without an endpoint it delivers nothing: it logs, at start and then every
// DisabledLogEvery, that delivery is disabled and how many records wait (status pending).
func (s *CertificateSync) Run(ctx context.Context) error {
	if err := s.check(); errors.Is(err, ErrDisabled) {
		return s.waitDisabled(ctx)
	} else if err != nil {
		return err
	}
	interval := s.Interval
	if interval <= 0 {
		interval = defaultSyncInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.logger().Warn("certificate sync pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// DeliverDue makes one attempt for every row due now and returns how many this replica made.
func (s *CertificateSync) DeliverDue(ctx context.Context) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	now := time.Now()
	if n, err := s.DB.ReleaseStaleCertificateSyncs(ctx, now.Add(-syncClaimLease), now, s.maxAttempts()); err != nil {
		return 0, fmt.Errorf("release stale certificate syncs: %w", err)
	} else if n > 0 {
		s.logger().Warn("certificate syncs released after their sender stopped", "count", n)
	}
	total := 0
	for ctx.Err() == nil {
		rows, err := s.DB.DueCertificateSyncs(ctx, time.Now(), syncBatch)
		if err != nil {
			return total, fmt.Errorf("read due certificate syncs: %w", err)
		}
		claimed := 0
		for _, r := range rows {
			if ctx.Err() != nil {
				break
			}
			token := models.NewID()
			ok, err := s.DB.ClaimCertificateSync(ctx, r.CertificateID, r.Action, token, time.Now())
			if err != nil {
				return total, fmt.Errorf("claim certificate sync: %w", err)
			}
			if !ok {
				continue // another replica has it
			}
			claimed++
			s.deliver(ctx, r, token)
		}
		total += claimed
		// A short batch means nothing more is due (a delivered issue may have made its
		// revocation due: the next pass takes it); a batch wholly taken by others is theirs.
		if len(rows) < syncBatch || claimed == 0 {
			break
		}
	}
	return total, nil
}

// deliver sends one claimed row and records the outcome, on a context that outlives ctx's
// cancellation (bounded by the request timeout) so a claimed row is always recorded.
func (s *CertificateSync) deliver(ctx context.Context, r models.CertificateSyncEntry, token string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout()+5*time.Second)
	defer cancel()
	res := s.attempt(dctx, r)
	log := s.logger().With("certificateID", r.CertificateID, "action", r.Action, "attempt", r.Attempts+1)
	ok, err := s.DB.FinishCertificateSync(dctx, r.CertificateID, r.Action, token, res)
	switch {
	case err != nil:
		log.Error("record certificate sync", "err", err) // released after the claim lease
		return
	case !ok:
		log.Warn("certificate sync claim lost before its outcome was recorded")
		return
	}
	switch res.Status {
	case models.SyncSent:
		log.Info("certificate delivered to the national query system")
	case models.SyncPending:
		log.Warn("certificate sync failed, will retry", "retryAt", res.NextAttemptAt, "err", res.Error)
	default:
		log.Error("certificate sync given up", "err", res.Error)
	}
}

// errPermanent marks an answer that retrying cannot change.
var errPermanent = errors.New("refused permanently")

// attempt posts the record and classifies the answer.
func (s *CertificateSync) attempt(ctx context.Context, r models.CertificateSyncEntry) models.SyncResult {
	c, err := s.DB.CertificateByID(ctx, r.CertificateID)
	if err != nil {
		return s.retry(r, time.Now(), 0, fmt.Errorf("read certificate: %w", err))
	}
	filing := s.FilingCode
	if ent, err := s.DB.EnterpriseByID(ctx, c.EnterpriseID); err != nil {
		return s.retry(r, time.Now(), 0, fmt.Errorf("read enterprise: %w", err))
	} else if ent.FilingCode != "" {
		filing = ent.FilingCode
	}
	if filing == "" {
		return s.retry(r, time.Now(), 0, errNoFilingCode)
	}
	// The full ID number exists only in this request's body; an error says nothing of it.
	idNumber, err := s.IDs.Open(c.PersonID())
	if err != nil {
		return s.retry(r, time.Now(), 0, errors.New("open sealed ID number failed"))
	}
	retryAfter, err := s.post(ctx, r, NewNationalRecord(r.Action, c, idNumber, filing))
	now := time.Now()
	switch {
	case err == nil:
		return models.SyncResult{Status: models.SyncSent, At: now}
	case errors.Is(err, errPermanent):
		return models.SyncResult{Status: models.SyncFailed, At: now, Error: err.Error()}
	}
	return s.retry(r, now, retryAfter, err)
}

// post sends one record. Errors name the HTTP status only: the endpoint's body may echo the
// record, and what is recorded or logged must hold no personal data.
func (s *CertificateSync) post(ctx context.Context, r models.CertificateSyncEntry, rec NationalRecord) (time.Duration, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.Endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: bad endpoint: %v", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", r.CertificateID+":"+r.Action)
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// Without the URL, which may carry the endpoint's credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("post to national query system: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return 0, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests || code >= 500:
		var after time.Duration
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			after = time.Duration(secs) * time.Second
		}
		return after, fmt.Errorf("national query system answered HTTP %d", code)
	default:
		return 0, fmt.Errorf("%w: national query system answered HTTP %d", errPermanent, code)
	}
}

// retry schedules the next attempt with exponential backoff (at least retryAfter), or gives up
// after MaxAttempts.
func (s *CertificateSync) retry(r models.CertificateSyncEntry, now time.Time, retryAfter time.Duration, err error) models.SyncResult {
	attempt := r.Attempts + 1
	if attempt >= s.maxAttempts() {
		return models.SyncResult{Status: models.SyncFailed, At: now, Error: err.Error()}
	}
	delay := retry.Backoff(s.RetryDelay, defaultSyncRetryDelay, attempt, retryAfter)
	return models.SyncResult{Status: models.SyncPending, At: now, NextAttemptAt: now.Add(delay), Error: err.Error()}
}

// waitDisabled logs that delivery is disabled, with the number of records waiting, until ctx ends.
func (s *CertificateSync) waitDisabled(ctx context.Context) error {
	every := s.DisabledLogEvery
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.DB.PendingCertificateSyncs(ctx)
		if err == nil {
			s.logger().Warn("national certificate sync disabled: SKILLCERT_NATIONAL_SYNC_URL is not set; certificates wait in the outbox until it is",
				"status", "disabled", "waiting", n)
		} else if ctx.Err() == nil {
			s.logger().Warn("national certificate sync disabled; cannot count waiting certificates", "status", "disabled", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *CertificateSync) maxAttempts() int {
	if s.MaxAttempts <= 0 {
		return defaultSyncMaxAttempts
	}
	return s.MaxAttempts
}

func (s *CertificateSync) timeout() time.Duration {
	if s.RequestTimeout <= 0 {
		return defaultSyncTimeout
	}
	return s.RequestTimeout
}

func (s *CertificateSync) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
