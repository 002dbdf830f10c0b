package models

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"skillcert/internal/cryptosuite"
	"skillcert/models/validate"
)

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
//	"skillcert/certificate/v1", number, holder name, ID type (its Chinese name, e.g. 居民身份证), masked ID number,
//	occupation code, occupation name, work type, level digit, issue date (YYYY-MM-DD), issuer
//
// — the mandatory fields of domain.md §9 as printed. The masked ID number is signed rather than
// the full one because a verifier sees only the masked one; and any unkeyed hash of the full
// number could be reversed by trying the 8 hidden birth-date digits. The status is not signed: it
// changes on revocation, which the public query and the verify endpoint report.
func CertificatePayload(c Certificate) []byte {
	// The ID type was always 居民身份证 before it was recorded, so older signatures still verify.
	fields := []string{certificatePayloadV1, c.Number, c.HolderName, validate.IDTypeName(c.IDType), c.IDMasked, c.OccupationCode,
		c.OccupationName, c.WorkType, strconv.Itoa(int(c.Level)), c.IssueDateString(), c.IssuerName}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(fields) // a []string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// SignCertificate signs the certificate's CertificatePayload with key (Ed25519 or SM2, see
// package cryptosuite) and records the signature (base64, standard, padded), its algorithm and
// its key's ID on c.
func SignCertificate(key crypto.Signer, c *Certificate) error {
	alg, sig, err := cryptosuite.Sign(key, CertificatePayload(*c))
	if err != nil {
		return fmt.Errorf("sign certificate: %w", err)
	}
	c.Signature, c.SigAlg, c.SigKey = base64.StdEncoding.EncodeToString(sig), alg, cryptosuite.PublicOf(key).ID
	return nil
}

// VerifyCertificate reports whether c.Signature is a signature of c's fields as they are now,
// made with c's algorithm under one of the trusted keys: an ed25519.PublicKey, a
// cryptosuite.PublicKey or a set of them (cryptosuite.PublicKeys). Any change to a signed field
// since issue makes it false; so does a signature by a key not trusted.
func VerifyCertificate(trusted any, c Certificate) bool {
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil {
		return false
	}
	alg := c.SigAlg
	if alg == "" {
		alg = cryptosuite.AlgEd25519
	}
	var keys cryptosuite.PublicKeys
	switch k := trusted.(type) {
	case ed25519.PublicKey:
		keys = cryptosuite.PublicKeys{{Alg: cryptosuite.AlgEd25519, Key: k, ID: cryptosuite.KeyID(k)}}
	case cryptosuite.PublicKey:
		keys = cryptosuite.PublicKeys{k}
	case cryptosuite.PublicKeys:
		keys = k
	}
	return keys.Verify(alg, c.SigKey, CertificatePayload(c), sig)
}
