package models

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"skillcert/internal/cryptosuite"
	"skillcert/models/validate"
)

// Certificate statuses.
const (
	CertificateValid   = "valid"
	CertificateRevoked = "revoked"
)

// Numbering of the pilot's certificates (domain.md §9): the enterprises are employers filed with
// the region, a province-level department, in Inner Mongolia.
const (
	// CertificateKind is 'Y', an employer's certificate.
	CertificateKind = validate.CertificateKindEmployer
	// CertificateFiling is "0000", filed with a province-level department.
	CertificateFiling = validate.ProvinceFiling
	// CertificateProvince is Inner Mongolia's province code.
	CertificateProvince = "15"
)

// IDTypeResident is the only ID type the pilot certifies: the resident ID card.
const IDTypeResident = "居民身份证"

// NoWorkType is printed in the 工种 field of an occupation that is not divided into work types.
const NoWorkType = "--"

// ErrInvalidCertificate is wrapped by IssueCertificates when a draft cannot become a
// certificate; retrying the same draft cannot help. Its messages never contain personal data.
var ErrInvalidCertificate = errors.New("invalid certificate draft")

// ErrAlreadyRevoked is returned when revoking a certificate that is revoked already; it wraps
// ErrConflict.
var ErrAlreadyRevoked = fmt.Errorf("%w: certificate already revoked", ErrConflict)

// shanghai is the zone in which an issue date is a calendar date. China has kept UTC+8 without
// daylight saving since 1991, so a fixed zone is exact and needs no time zone database.
var shanghai = time.FixedZone("CST", 8*60*60)

// Certificate is an issued vocational skill level certificate (职业技能等级证书). The ID number
// is held sealed only: cipher, keyed lookup hash and masked form.
type Certificate struct {
	ID             string         `gorm:"primaryKey" json:"id"`
	Number         string         `json:"number"`
	EnterpriseID   string         `json:"enterprise_id"`
	CaseID         string         `json:"case_id"`
	SessionID      string         `json:"session_id"`
	CandidateKey   string         `json:"-"`
	HolderName     string         `json:"holder_name"`
	IDCipher       string         `json:"-"`
	IDLookup       string         `json:"-"`
	IDMasked       string         `json:"id_masked"`
	OccupationCode string         `json:"occupation_code"`
	OccupationName string         `json:"occupation_name"`
	WorkType       string         `json:"work_type"`
	Level          validate.Level `json:"level"`
	// IssueDate is a calendar date (in Asia/Shanghai) held as its midnight UTC.
	IssueDate    time.Time  `json:"issue_date"`
	IssuerName   string     `json:"issuer_name"`
	Status       string     `json:"status"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	// Token is the opaque value in the QR code's URL: random, so the URL reveals nothing and
	// cannot be guessed from a number.
	Token     string `json:"-"`
	Signature string `json:"signature"`
	// SigAlg is the algorithm that made Signature (cryptosuite.AlgEd25519 or AlgSM2) and SigKey
	// the ID of its key (cryptosuite.KeyID; empty on certificates from before key IDs were kept).
	SigAlg    string    `json:"-"`
	SigKey    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// The holder's identity as the national sample prints it: ID type (domain.IDTypes), gender
	// (male | female, "" for certificates issued before it was recorded) and photo (storage
	// key, content type and SHA-256; served only through the certificate's access checks).
	HolderIdentity
}

// HolderIdentity is a certificate holder's ID type, gender and photo.
type HolderIdentity struct {
	IDType      string `json:"id_type"`
	Gender      string `json:"gender"`
	PhotoKey    string `json:"-"`
	PhotoType   string `json:"-"`
	PhotoSHA256 string `json:"photo_sha256,omitempty"`
}

// PersonID returns the sealed ID number in the form package pii opens.
func (c Certificate) PersonID() PersonID {
	return PersonID{Cipher: c.IDCipher, Lookup: c.IDLookup, Masked: c.IDMasked}
}

// IssueDateString is the issue date as YYYY-MM-DD.
func (c Certificate) IssueDateString() string { return c.IssueDate.UTC().Format(time.DateOnly) }

// CertificateDraft is what an assessment session hands over for one certificate.
type CertificateDraft struct {
	EnterpriseID string
	CaseID       string
	SessionID    string
	// CandidateKey identifies the candidate within the whole system (session + candidate):
	// issuing a draft whose key has a certificate already returns that certificate.
	CandidateKey   string
	HolderName     string
	ID             PersonID // sealed by package pii; all three parts are required
	OccupationCode string
	OccupationName string
	WorkType       string // empty: NoWorkType
	Level          validate.Level
	// IssueDate is any instant of the issue day; the day is taken in Asia/Shanghai.
	IssueDate time.Time
	// Year is the issue year in the number; 0 means the year of IssueDate, and any other value
	// must equal it.
	Year int
	// Identity is copied onto the certificate; an empty ID type is a 居民身份证.
	Identity HolderIdentity
}

// NormalizeHolderName trims a name, collapses inner whitespace to one space and writes the
// middle dot of transcribed names (e.g. 巴特尔·额尔德尼) one way, so a query typed with another dot
// or stray spaces still finds the certificate.
func NormalizeHolderName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == '.' || r == '．' || r == '•' || r == '・' || r == '‧' || r == '∙' || r == '･':
			r = '·'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// issueDay returns the calendar day of t in Asia/Shanghai as midnight UTC.
func issueDay(t time.Time) time.Time {
	y, m, d := t.In(shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// checkDraft normalises a draft and reports the first reason it cannot be issued.
func checkDraft(i int, d *CertificateDraft) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %d: %s", ErrInvalidCertificate, i, fmt.Sprintf(format, args...))
	}
	d.HolderName = NormalizeHolderName(d.HolderName)
	d.OccupationCode = validate.NormalizeOccupationCode(d.OccupationCode)
	d.OccupationName = strings.TrimSpace(d.OccupationName)
	if d.WorkType = strings.TrimSpace(d.WorkType); d.WorkType == "" {
		d.WorkType = NoWorkType
	}
	switch {
	case d.EnterpriseID == "":
		return bad("enterprise is missing")
	case d.CandidateKey == "" || len(d.CandidateKey) > 160:
		return bad("candidate key must have 1 to 160 bytes")
	case d.HolderName == "" || utf8.RuneCountInString(d.HolderName) > 64 || !printable(d.HolderName):
		return bad("holder name must have 1 to 64 printable characters")
	case d.ID.Cipher == "" || d.ID.Lookup == "" || utf8.RuneCountInString(d.ID.Masked) < 5 || utf8.RuneCountInString(d.ID.Masked) > validate.IDNumberLen:
		// 18 characters for a resident ID number, 5 to 18 for other documents (domain.CheckOtherIDNumber).
		return bad("sealed ID number is incomplete")
	case validate.CheckOccupationCodeFormat(d.OccupationCode) != nil:
		return bad("occupation code is not shaped M-MM-MM-MM")
	case d.OccupationName == "" || utf8.RuneCountInString(d.OccupationName) > 64 || !printable(d.OccupationName):
		return bad("occupation name must have 1 to 64 printable characters")
	case utf8.RuneCountInString(d.WorkType) > 64 || !printable(d.WorkType):
		return bad("work type must have at most 64 printable characters")
	case !d.Level.Valid():
		return bad("level %d is not 1 to 5", int(d.Level))
	case d.IssueDate.IsZero():
		return bad("issue date is missing")
	}
	if y := d.IssueDate.In(shanghai).Year(); d.Year == 0 {
		d.Year = y
	} else if d.Year != y {
		return bad("year %d differs from the issue date's year %d", d.Year, y)
	}
	if d.Year < 2000 || d.Year > 2099 {
		return bad("issue year %d is outside 2000 to 2099", d.Year)
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// IssueCertificates issues a certificate for each draft in one transaction and returns them in
// draft order. It is idempotent per CandidateKey: a draft whose key was issued before (by this
// or an earlier call) gets the stored certificate back unchanged.
//
// Numbers follow domain.md §9. The serial (positions 17–22) comes from the counter row of the
// enterprise, issue year and level, incremented with UPDATE … RETURNING in this transaction,
// so concurrent issuers queue on the row: serials run 1, 2, 3 … with no gap or duplicate, and
// a rolled-back call returns its serials. An enterprise without a site serial (positions 8–13)
// is given the next free one from the region-wide counter in the same transaction. Locks are
// taken in one global order (enterprise rows, then the region counter, then serial counters by
// enterprise, year and level) so two calls cannot deadlock.
//
// Each certificate is signed with key (see CertificatePayload) before it is stored, so no
// unsigned certificate is ever visible, and an "issue" row is queued for the national sync.
func (db *DB) IssueCertificates(ctx context.Context, key crypto.Signer, drafts []CertificateDraft) ([]Certificate, error) {
	if cryptosuite.SignerAlg(key) == "" {
		return nil, errors.New("issue certificates: no signing key")
	}
	if len(drafts) == 0 {
		return []Certificate{}, nil
	}
	ds := slices.Clone(drafts)
	for i := range ds {
		if err := checkDraft(i, &ds[i]); err != nil {
			return nil, err
		}
	}
	var (
		out []Certificate
		err error
	)
	// Two calls issuing the same candidate concurrently: the second one's insert violates the
	// unique candidate key and its transaction rolls back (serials included); run again, it
	// finds the first one's certificate.
	for attempt := 0; attempt < 3; attempt++ {
		out, err = db.issueOnce(ctx, key, ds)
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			break
		}
	}
	return out, err
}

// serialKey identifies a serial counter row.
type serialKey struct {
	enterprise  string
	year, level int
}

func (db *DB) issueOnce(ctx context.Context, key crypto.Signer, ds []CertificateDraft) ([]Certificate, error) {
	out := make([]Certificate, len(ds))
	err := db.Tx(ctx, func(tx *DB) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		keys := make([]string, 0, len(ds))
		for _, d := range ds {
			keys = append(keys, d.CandidateKey)
		}
		var existing []Certificate
		if err := tx.Where("candidate_key IN ?", keys).Find(&existing).Error; err != nil {
			return fmt.Errorf("read issued certificates: %w", err)
		}
		byKey := make(map[string]Certificate, len(existing))
		for _, c := range existing {
			byKey[c.CandidateKey] = c
		}
		// What is new, once per key, grouped by counter.
		var fresh []int
		need := map[serialKey][]int{}
		seen := map[string]bool{}
		for i, d := range ds {
			if _, ok := byKey[d.CandidateKey]; ok || seen[d.CandidateKey] {
				continue
			}
			seen[d.CandidateKey] = true
			fresh = append(fresh, i)
			k := serialKey{d.EnterpriseID, d.Year, int(d.Level)}
			need[k] = append(need[k], i)
		}
		if len(fresh) > 0 {
			ents, err := tx.issuingEnterprises(ctx, need, now)
			if err != nil {
				return err
			}
			counters := make([]serialKey, 0, len(need))
			for k := range need {
				counters = append(counters, k)
			}
			slices.SortFunc(counters, func(a, b serialKey) int {
				return cmpSerialKey(a, b)
			})
			rows := make([]Certificate, 0, len(fresh))
			for _, k := range counters {
				idx := need[k]
				last, err := tx.bumpCounter(k, len(idx))
				if err != nil {
					return err
				}
				e := ents[k.enterprise]
				for j, i := range idx {
					d := ds[i]
					number, err := validate.FormatCertificateNumber(CertificateKind, CertificateFiling, CertificateProvince,
						*e.SiteSerial, k.year, d.Level, last-len(idx)+1+j)
					if err != nil {
						return fmt.Errorf("%w %d: %v", ErrInvalidCertificate, i, err)
					}
					c := Certificate{ID: NewID(), Number: number, EnterpriseID: d.EnterpriseID, CaseID: d.CaseID,
						SessionID: d.SessionID, CandidateKey: d.CandidateKey, HolderName: d.HolderName,
						IDCipher: d.ID.Cipher, IDLookup: d.ID.Lookup, IDMasked: d.ID.Masked,
						OccupationCode: d.OccupationCode, OccupationName: d.OccupationName, WorkType: d.WorkType,
						Level: d.Level, IssueDate: issueDay(d.IssueDate), IssuerName: e.Name, Status: CertificateValid,
						Token: base64.RawURLEncoding.EncodeToString(RandomToken(24)), CreatedAt: now, HolderIdentity: d.Identity}
					if c.IDType == "" {
						c.IDType = "resident_id"
					}
					if err := SignCertificate(key, &c); err != nil {
						return err
					}
					rows = append(rows, c)
					byKey[c.CandidateKey] = c
				}
			}
			if err := tx.CreateInBatches(&rows, 100).Error; err != nil {
				return fmt.Errorf("insert certificates: %w", err)
			}
			syncs := make([]CertificateSyncEntry, 0, len(rows))
			for _, c := range rows {
				syncs = append(syncs, CertificateSyncEntry{CertificateID: c.ID, Action: SyncIssue, Status: SyncPending,
					NextAttemptAt: now, CreatedAt: now})
			}
			if err := tx.CreateInBatches(&syncs, 100).Error; err != nil {
				return fmt.Errorf("queue certificate sync: %w", err)
			}
		}
		for i, d := range ds {
			out[i] = byKey[d.CandidateKey]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func cmpSerialKey(a, b serialKey) int {
	if c := strings.Compare(a.enterprise, b.enterprise); c != 0 {
		return c
	}
	if a.year != b.year {
		return a.year - b.year
	}
	return a.level - b.level
}

// issuingEnterprises reads the enterprises of the counters and gives a site serial to those
// without one.
func (db *DB) issuingEnterprises(ctx context.Context, need map[serialKey][]int, now time.Time) (map[string]Enterprise, error) {
	var ids []string
	for k := range need {
		if !slices.Contains(ids, k.enterprise) {
			ids = append(ids, k.enterprise)
		}
	}
	slices.Sort(ids)
	var es []Enterprise
	if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("read enterprises: %w", err)
	}
	byID := make(map[string]Enterprise, len(es))
	for _, e := range es {
		byID[e.ID] = e
	}
	var missing []string
	for _, id := range ids {
		e, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("%w: unknown enterprise %s", ErrInvalidCertificate, id)
		}
		if e.SiteSerial == nil || *e.SiteSerial == "" {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return byID, nil
	}
	// Lock the enterprises (in ID order) and read them again: another call may have assigned
	// a site serial since the first read.
	for _, id := range missing {
		if err := db.Exec("UPDATE enterprises SET updated_at = updated_at WHERE id = ?", id).Error; err != nil {
			return nil, fmt.Errorf("lock enterprise: %w", err)
		}
	}
	if err := db.Where("id IN ?", missing).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("read enterprises: %w", err)
	}
	for _, e := range es {
		if e.SiteSerial != nil && *e.SiteSerial != "" {
			byID[e.ID] = e
			continue
		}
		serial, err := db.nextSiteSerial()
		if err != nil {
			return nil, err
		}
		if err := db.Model(&Enterprise{}).Where("id = ?", e.ID).Updates(map[string]any{"site_serial": serial, "updated_at": now}).Error; err != nil {
			return nil, fmt.Errorf("assign site serial: %w", err)
		}
		e.SiteSerial = &serial
		byID[e.ID] = e
	}
	return byID, nil
}

// siteCounter is the certificate_serials row that counts the region's site serials.
var siteCounter = serialKey{enterprise: "", year: 0, level: 0}

// nextSiteSerial draws the next six-digit site serial that no enterprise holds (the region may
// have assigned some by hand).
func (db *DB) nextSiteSerial() (string, error) {
	for {
		n, err := db.bumpCounter(siteCounter, 1)
		if err != nil {
			return "", err
		}
		if n > 999999 {
			return "", errors.New("site serials exhausted")
		}
		s := fmt.Sprintf("%06d", n)
		var taken int64
		if err := db.Model(&Enterprise{}).Where("site_serial = ?", s).Count(&taken).Error; err != nil {
			return "", err
		}
		if taken == 0 {
			return s, nil
		}
	}
}

// bumpCounter adds n to a counter row (creating it at 0 first) and returns the new value. The
// UPDATE locks the row until the transaction ends: that is what keeps serials unique.
func (db *DB) bumpCounter(k serialKey, n int) (int, error) {
	if err := db.Exec("INSERT INTO certificate_serials (enterprise_id, year, level, last_serial) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING",
		k.enterprise, k.year, k.level).Error; err != nil {
		return 0, fmt.Errorf("create serial counter: %w", err)
	}
	var last []int
	if err := db.Raw("UPDATE certificate_serials SET last_serial = last_serial + ? WHERE enterprise_id = ? AND year = ? AND level = ? RETURNING last_serial",
		n, k.enterprise, k.year, k.level).Scan(&last).Error; err != nil {
		return 0, fmt.Errorf("bump serial counter: %w", err)
	}
	if len(last) != 1 {
		return 0, errors.New("bump serial counter: counter row missing")
	}
	if last[0] > 999999 {
		return 0, fmt.Errorf("%w: serials of this year and level exhausted", ErrInvalidCertificate)
	}
	return last[0], nil
}

// CertificateByID returns one certificate.
func (db *DB) CertificateByID(ctx context.Context, id string) (Certificate, error) {
	var c Certificate
	err := db.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// CertificateByNumber returns the certificate with a number (in canonical form).
func (db *DB) CertificateByNumber(ctx context.Context, number string) (Certificate, error) {
	var c Certificate
	err := db.WithContext(ctx).First(&c, "number = ?", number).Error
	return c, notFound(err)
}

// CertificateByToken returns the certificate whose QR code carries token.
func (db *DB) CertificateByToken(ctx context.Context, token string) (Certificate, error) {
	var c Certificate
	if token == "" || len(token) > 64 {
		return c, ErrNotFound
	}
	err := db.WithContext(ctx).First(&c, "token = ?", token).Error
	return c, notFound(err)
}

// maxQueryResults bounds a public query's answer; one person holds a handful of certificates.
const maxQueryResults = 100

// QueryCertificates returns the certificates of the holder with this name and one of the ID
// lookup keys (pii.Sealer.LookupKeys: the number's hash under every key generation, so values
// not yet resealed by `keys rotate` are found too), newest first: equality lookups on
// certificates_query_idx. Both must match, as in the national query, so neither alone reveals
// anything.
func (db *DB) QueryCertificates(ctx context.Context, name string, idLookups ...string) ([]Certificate, error) {
	name = NormalizeHolderName(name)
	idLookups = slices.DeleteFunc(slices.Clone(idLookups), func(s string) bool { return s == "" })
	if name == "" || len(idLookups) == 0 {
		return []Certificate{}, nil
	}
	cs := []Certificate{}
	err := db.WithContext(ctx).Where("id_lookup IN ? AND holder_name = ?", idLookups, name).
		Order("issue_date DESC, number").Limit(maxQueryResults).Find(&cs).Error
	return cs, err
}

// RevokeCertificate revokes a valid certificate with a reason and queues a "revoke" row for the
// national sync, in one transaction. A certificate revoked already gives ErrAlreadyRevoked.
func (db *DB) RevokeCertificate(ctx context.Context, id, reason string, at time.Time) (Certificate, error) {
	at = at.UTC().Truncate(time.Microsecond)
	var c Certificate
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.Model(&Certificate{}).Where("id = ? AND status = ?", id, CertificateValid).
			Updates(map[string]any{"status": CertificateRevoked, "revoked_at": at, "revoke_reason": reason})
		if res.Error != nil {
			return res.Error
		}
		var err error
		if c, err = tx.CertificateByID(ctx, id); err != nil {
			return err
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyRevoked
		}
		row := CertificateSyncEntry{CertificateID: id, Action: SyncRevoke, Status: SyncPending, NextAttemptAt: at, CreatedAt: at}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
	})
	return c, err
}
