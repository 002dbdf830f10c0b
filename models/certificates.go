package models

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

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
	Token     string    `json:"-"`
	Signature string    `json:"signature"`
	CreatedAt time.Time `json:"created_at"`
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
	case d.ID.Cipher == "" || d.ID.Lookup == "" || utf8.RuneCountInString(d.ID.Masked) != validate.IDNumberLen:
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
func (db *DB) IssueCertificates(ctx context.Context, key ed25519.PrivateKey, drafts []CertificateDraft) ([]Certificate, error) {
	if len(key) != ed25519.PrivateKeySize {
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

func (db *DB) issueOnce(ctx context.Context, key ed25519.PrivateKey, ds []CertificateDraft) ([]Certificate, error) {
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
						Token: base64.RawURLEncoding.EncodeToString(RandomToken(24)), CreatedAt: now}
					c.Signature = SignCertificate(key, c)
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

// QueryCertificates returns the certificates of the holder with this name and ID lookup key
// (pii.Sealer.LookupKey), newest first: one equality lookup on certificates_query_idx. Both
// must match, as in the national query, so neither alone reveals anything.
func (db *DB) QueryCertificates(ctx context.Context, name, idLookup string) ([]Certificate, error) {
	name = NormalizeHolderName(name)
	if name == "" || idLookup == "" {
		return []Certificate{}, nil
	}
	cs := []Certificate{}
	err := db.WithContext(ctx).Where("id_lookup = ? AND holder_name = ?", idLookup, name).
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

// Report groupings of CertificateReport.
const (
	GroupByOccupation = "occupation"
	GroupByLevel      = "level"
	GroupByEnterprise = "enterprise"
	GroupByLeague     = "league"
)

// CertificateReportFilter selects and groups certificates for a report.
type CertificateReportFilter struct {
	// Group is one of GroupByOccupation, GroupByLevel, GroupByEnterprise, GroupByLeague.
	Group string
	// Jurisdictions is the caller's subtree: only certificates of enterprises registered there
	// count. Nil means all.
	Jurisdictions []string
	// Leagues maps each league/city code to the jurisdictions it covers, for GroupByLeague;
	// certificates of enterprises outside every league are counted under the key "".
	Leagues map[string][]string
	// Year, when not 0, counts only certificates issued that year.
	Year int
}

// CertificateCount is one row of a report: the certificates of one group by status.
type CertificateCount struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Valid   int64  `json:"valid"`
	Revoked int64  `json:"revoked"`
	Total   int64  `json:"total"`
	// Assessed candidates (with a result) and those who passed, and the pass rate in percent.
	Assessed int64   `json:"assessed"`
	Passed   int64   `json:"passed"`
	PassRate float64 `json:"pass_rate"`
}

// CertificateReport counts valid and revoked certificates by occupation, level, enterprise or
// league, in one grouped query over the certificates of enterprises in the filter's
// jurisdictions. Rows are ordered by key (levels from 五级 up to 一级).
func (db *DB) CertificateReport(ctx context.Context, f CertificateReportFilter) ([]CertificateCount, error) {
	var keyExpr, nameExpr string
	switch f.Group {
	case GroupByOccupation:
		keyExpr, nameExpr = "c.occupation_code", "MAX(c.occupation_name)"
	case GroupByLevel:
		keyExpr, nameExpr = "CAST(c.level AS VARCHAR(1))", "''"
	case GroupByEnterprise:
		keyExpr, nameExpr = "c.enterprise_id", "MAX(e.name)"
	case GroupByLeague:
		keyExpr, nameExpr = "e.jurisdiction_code", "''"
	default:
		return nil, fmt.Errorf("unknown report grouping %q", f.Group)
	}
	q := db.WithContext(ctx).Table("certificates AS c").Joins("JOIN enterprises AS e ON e.id = c.enterprise_id").
		Select(keyExpr + " AS group_key, " + nameExpr + " AS group_name, c.status AS status, COUNT(*) AS n").
		Group(keyExpr + ", c.status")
	if f.Jurisdictions != nil {
		q = q.Where("e.jurisdiction_code IN ?", f.Jurisdictions)
	}
	if f.Year != 0 {
		from := time.Date(f.Year, 1, 1, 0, 0, 0, 0, time.UTC)
		q = q.Where("c.issue_date >= ? AND c.issue_date < ?", from, from.AddDate(1, 0, 0))
	}
	var rows []struct {
		GroupKey  string
		GroupName string
		Status    string
		N         int64
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("certificate report: %w", err)
	}
	leagueOf := map[string]string{}
	for league, codes := range f.Leagues {
		for _, c := range codes {
			leagueOf[c] = league
		}
	}
	byKey := map[string]*CertificateCount{}
	var order []string
	for _, r := range rows {
		k, name := r.GroupKey, r.GroupName
		switch f.Group {
		case GroupByLeague:
			k, name = leagueOf[r.GroupKey], ""
		case GroupByLevel:
			if l, err := strconv.Atoi(k); err == nil {
				name = validate.Level(l).Name()
			}
		}
		cc, ok := byKey[k]
		if !ok {
			cc = &CertificateCount{Key: k, Name: name}
			byKey[k] = cc
			order = append(order, k)
		}
		switch r.Status {
		case CertificateValid:
			cc.Valid += r.N
		case CertificateRevoked:
			cc.Revoked += r.N
		}
		cc.Total += r.N
	}
	// Pass rates come from the sittings' candidates, grouped the same way.
	outcomes, err := db.candidateOutcomes(ctx, f, leagueOf)
	if err != nil {
		return nil, err
	}
	for _, o := range outcomes {
		cc, ok := byKey[o.key]
		if !ok {
			cc = &CertificateCount{Key: o.key, Name: o.name}
			if f.Group == GroupByLevel {
				if l, err := strconv.Atoi(o.key); err == nil {
					cc.Name = validate.Level(l).Name()
				}
			}
			byKey[o.key] = cc
			order = append(order, o.key)
		}
		cc.Assessed += o.assessed
		cc.Passed += o.passed
	}
	for _, cc := range byKey {
		if cc.Assessed > 0 {
			cc.PassRate = float64(cc.Passed*1000/cc.Assessed) / 10
		}
	}
	if f.Group == GroupByLeague && len(order) > 0 {
		var js []Jurisdiction
		if err := db.WithContext(ctx).Where("code IN ?", order).Find(&js).Error; err != nil {
			return nil, err
		}
		for _, j := range js {
			byKey[j.Code].Name = j.Name
		}
	}
	if f.Group == GroupByLevel {
		slices.SortFunc(order, func(a, b string) int { return strings.Compare(b, a) })
	} else {
		slices.Sort(order)
	}
	out := make([]CertificateCount, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out, nil
}

type outcomeRow struct {
	key, name        string
	assessed, passed int64
}

// candidateOutcomes counts assessed and passing candidates of the sittings in the filter's
// jurisdictions, by the report's grouping, in one grouped query.
func (db *DB) candidateOutcomes(ctx context.Context, f CertificateReportFilter, leagueOf map[string]string) ([]outcomeRow, error) {
	var keyExpr, nameExpr string
	switch f.Group {
	case GroupByOccupation:
		keyExpr, nameExpr = "s.occupation_code", "MAX(s.occupation_name)"
	case GroupByLevel:
		keyExpr, nameExpr = "CAST(s.level AS VARCHAR(1))", "''"
	case GroupByEnterprise:
		keyExpr, nameExpr = "s.enterprise_id", "MAX(s.enterprise_name)"
	case GroupByLeague:
		keyExpr, nameExpr = "s.jurisdiction_code", "''"
	}
	q := db.WithContext(ctx).Table("session_candidates AS c").Joins("JOIN assessment_sessions AS s ON s.id = c.session_id").
		Select(keyExpr + " AS group_key, " + nameExpr + " AS group_name, SUM(CASE WHEN c.result <> 'pending' THEN 1 ELSE 0 END) AS assessed, " +
			"SUM(CASE WHEN c.result = 'pass' THEN 1 ELSE 0 END) AS passed").Group(keyExpr)
	if f.Jurisdictions != nil {
		q = q.Where("s.jurisdiction_code IN ?", f.Jurisdictions)
	}
	if f.Year != 0 {
		from := time.Date(f.Year, 1, 1, 0, 0, 0, 0, time.UTC)
		q = q.Where("s.exam_date >= ? AND s.exam_date < ?", from, from.AddDate(1, 0, 0))
	}
	var rows []struct {
		GroupKey, GroupName string
		Assessed, Passed    int64
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("candidate outcomes: %w", err)
	}
	out := make([]outcomeRow, 0, len(rows))
	for _, r := range rows {
		k := r.GroupKey
		if f.Group == GroupByLeague {
			k = leagueOf[k]
		}
		out = append(out, outcomeRow{key: k, name: r.GroupName, assessed: r.Assessed, passed: r.Passed})
	}
	return out, nil
}

// certificatePayloadV1 opens every version-1 payload, so a signature can never be taken for
// one over some other kind of record, or over a later version of this encoding.
const certificatePayloadV1 = "skillcert/certificate/v1"

// CertificatePayload is the canonical encoding that a certificate's signature covers, version 1:
// the JSON array (UTF-8, no HTML escaping, no spaces, no trailing newline) of the strings
//
//	"skillcert/certificate/v1", number, holder name, ID type (居民身份证), masked ID number,
//	occupation code, occupation name, work type, level digit, issue date (YYYY-MM-DD), issuer
//
// — the mandatory fields of domain.md §9 as printed. The masked ID number is signed rather than
// the full one because a verifier sees only the masked one; and any unkeyed hash of the full
// number could be reversed by trying the 8 hidden birth-date digits. The status is not signed: it
// changes on revocation, which the public query and the verify endpoint report.
func CertificatePayload(c Certificate) []byte {
	fields := []string{certificatePayloadV1, c.Number, c.HolderName, IDTypeResident, c.IDMasked, c.OccupationCode,
		c.OccupationName, c.WorkType, strconv.Itoa(int(c.Level)), c.IssueDateString(), c.IssuerName}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(fields) // a []string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// SignCertificate returns the base64 (standard, padded) Ed25519 signature of the certificate's
// CertificatePayload.
func SignCertificate(key ed25519.PrivateKey, c Certificate) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, CertificatePayload(c)))
}

// VerifyCertificate reports whether c.Signature is pub's signature of c's fields as they are
// now: any change to a signed field since issue makes it false.
func VerifyCertificate(pub ed25519.PublicKey, c Certificate) bool {
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, CertificatePayload(c), sig)
}

// Actions and states of the national sync queue.
const (
	SyncIssue   = "issue"
	SyncRevoke  = "revoke"
	SyncPending = "pending" // waiting for (another) delivery attempt
	SyncSending = "sending" // claimed by one replica, being delivered
	SyncSent    = "sent"    // accepted by the national endpoint
	SyncFailed  = "failed"  // given up: refused permanently or too many attempts
)

// CertificateSyncEntry is one delivery of a certificate event to the national query system.
type CertificateSyncEntry struct {
	CertificateID string     `gorm:"primaryKey" json:"certificate_id"`
	Action        string     `gorm:"primaryKey" json:"action"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	ClaimedAt     *time.Time `json:"claimed_at,omitempty"`
	ClaimToken    string     `json:"-"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// TableName is the sync queue table.
func (CertificateSyncEntry) TableName() string { return "certificate_sync" }

// CertificateSyncs returns the sync rows of a certificate, issue first.
func (db *DB) CertificateSyncs(ctx context.Context, certificateID string) ([]CertificateSyncEntry, error) {
	var es []CertificateSyncEntry
	err := db.WithContext(ctx).Where("certificate_id = ?", certificateID).Order("created_at, action").Find(&es).Error
	return es, err
}

// DueCertificateSyncs returns up to n pending rows due at now, oldest first. A revocation waits
// until the certificate's issue was delivered, so the national system never hears of the
// revocation of a certificate it does not know. Reading claims nothing.
func (db *DB) DueCertificateSyncs(ctx context.Context, now time.Time, n int) ([]CertificateSyncEntry, error) {
	var es []CertificateSyncEntry
	err := db.WithContext(ctx).Table("certificate_sync AS s").Select("s.*").
		Where("s.status = ? AND s.next_attempt_at <= ?", SyncPending, now.UTC()).
		Where("s.action = ? OR NOT EXISTS (SELECT 1 FROM certificate_sync i WHERE i.certificate_id = s.certificate_id AND i.action = ? AND i.status <> ?)",
			SyncIssue, SyncIssue, SyncSent).
		Order("s.next_attempt_at, s.created_at, s.certificate_id, s.action").Limit(n).Find(&es).Error
	return es, err
}

// ClaimCertificateSync moves a due pending row to sending under token with one conditional
// UPDATE: of two replicas that read the same row exactly one gets true.
func (db *DB) ClaimCertificateSync(ctx context.Context, certificateID, action, token string, now time.Time) (bool, error) {
	now = now.UTC()
	res := db.WithContext(ctx).Model(&CertificateSyncEntry{}).
		Where("certificate_id = ? AND action = ? AND status = ? AND next_attempt_at <= ?", certificateID, action, SyncPending, now).
		Updates(map[string]any{"status": SyncSending, "claimed_at": now, "claim_token": token})
	return res.RowsAffected == 1, res.Error
}

// ReleaseStaleCertificateSyncs puts rows claimed before `before` and still sending back to
// pending (their sender died mid-delivery), counting the lost attempt, or to failed once
// maxAttempts are spent. The national endpoint may have received the lost attempt, so delivery is
// at-least-once; the Idempotency-Key sent with each request lets it fold repeats.
func (db *DB) ReleaseStaleCertificateSyncs(ctx context.Context, before, now time.Time, maxAttempts int) (int64, error) {
	res := db.WithContext(ctx).Model(&CertificateSyncEntry{}).
		Where("status = ? AND claimed_at < ?", SyncSending, before.UTC()).
		Updates(map[string]any{
			"status":          gorm.Expr("CASE WHEN attempts + 1 >= ? THEN ? ELSE ? END", maxAttempts, SyncFailed, SyncPending),
			"attempts":        gorm.Expr("attempts + 1"),
			"last_error":      "claim expired: the sender stopped during delivery",
			"next_attempt_at": now.UTC(),
			"claim_token":     "",
		})
	return res.RowsAffected, res.Error
}

// SyncResult is the outcome of one delivery attempt.
type SyncResult struct {
	// Status is SyncSent, SyncPending (retry at NextAttemptAt) or SyncFailed.
	Status        string
	At            time.Time
	NextAttemptAt time.Time
	Error         string
}

// FinishCertificateSync records the outcome of the attempt made under the claim token and
// counts it. It reports false when the claim was lost meanwhile: the later claim's outcome stands.
func (db *DB) FinishCertificateSync(ctx context.Context, certificateID, action, token string, r SyncResult) (bool, error) {
	set := map[string]any{"status": r.Status, "attempts": gorm.Expr("attempts + 1"), "claim_token": ""}
	switch r.Status {
	case SyncSent:
		set["delivered_at"] = r.At.UTC()
	case SyncPending:
		set["next_attempt_at"] = r.NextAttemptAt.UTC()
	}
	if r.Error != "" {
		set["last_error"] = truncateRunes(r.Error, 500)
	}
	res := db.WithContext(ctx).Model(&CertificateSyncEntry{}).
		Where("certificate_id = ? AND action = ? AND status = ? AND claim_token = ?", certificateID, action, SyncSending, token).
		Updates(set)
	return res.RowsAffected == 1, res.Error
}
