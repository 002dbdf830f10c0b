package activities_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/activities"
	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/pii"
)

// TestRotateIntlToGM is the round trip of a deployment moving from the intl suite to gm: data
// sealed and certificates signed under intl, then the gm suite with new key material (version
// 2, version 1 retired) and `keys rotate`. Every ID number stays readable and searchable
// during and after the move, every old certificate still verifies, new ones are signed with
// SM2, and after the rotation the old keys are no longer needed to read anything.
func TestRotateIntlToGM(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ent := issuingEnterprise(t, db)
		intl := sealerForTest(t)
		people := map[string]string{"张三": holderID, "李四": holderID2, "王五": "150102199003071234"}
		var cands []activities.IssueCandidate
		for name, id := range people {
			cands = append(cands, candidate(t, intl, name, name, id, 3))
		}
		a := &activities.Activities{DB: db, Logger: quietLogger(), SigningKey: issueKey}
		res, err := a.IssueCertificates(ctx, activities.IssueInput{SessionID: "s-rot", EnterpriseID: ent.ID, CaseID: "case-7",
			IssueDate: time.Date(2027, 6, 1, 2, 0, 0, 0, time.UTC), Candidates: cands})
		require.NoError(t, err)
		require.Len(t, res.Numbers, 3)
		// An application draft with ID numbers sealed under intl inside its JSON.
		staff, err := intl.Seal(holderID)
		require.NoError(t, err)
		app, _, err := db.OpenApplication(ctx, ent.ID, "2027", models.Application{Staff: []models.StaffRow{{Name: "张三", ID: staff, Title: "主任"}}}, time.Now())
		require.NoError(t, err)
		// A TOTP secret sealed under intl by the same keyring.
		const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		sealedTOTP, err := intl.Seal(totpSecret)
		require.NoError(t, err)
		admin := models.User{ID: models.NewID(), Username: "totp-rot", DisplayName: "轮换 测试", PasswordHash: "x",
			Role: models.RoleSysadmin, Active: true, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		require.NoError(t, db.Create(&admin).Error)
		require.NoError(t, db.SetTOTPSecret(ctx, admin.ID, sealedTOTP.Cipher))

		// The gm suite with new keys; version 1 kept to open and find what it sealed.
		oldGen := pii.Generation{Version: 1, Data: []byte("data-key-data-key-data-key-32byt"), Lookup: []byte("lookup-key-lookup-key-lookup-key")}
		newGen := pii.Generation{Version: 2, Data: bytes.Repeat([]byte{0x5a}, 32), Lookup: bytes.Repeat([]byte{0xa5}, 32)}
		gm, err := pii.NewKeyring(pii.Keys{Suite: cryptosuite.GM, Current: newGen, Retired: []pii.Generation{oldGen}})
		require.NoError(t, err)
		sm2Key, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, bytes.Repeat([]byte{0x42}, 32))
		require.NoError(t, err)
		trusted := cryptosuite.PublicKeys{cryptosuite.PublicOf(issueKey), cryptosuite.PublicOf(sm2Key)}

		// While the rotation has not run yet, queries find the old values.
		for name, id := range people {
			cs, err := db.QueryCertificates(ctx, name, gm.LookupKeys(id)...)
			require.NoError(t, err)
			require.Len(t, cs, 1, "%s before rotation", name)
		}

		// Rotate in batches of 2; a second pass finds nothing left (resumable, idempotent).
		rep, err := db.RotateIDNumbers(ctx, gm, 2, nil)
		require.NoError(t, err)
		require.Equal(t, 3, rep.Resealed["certificates"])
		require.Equal(t, 1, rep.Resealed["applications"])
		require.Equal(t, 1, rep.Resealed["users"], "the TOTP secret")
		require.Zero(t, rep.Failed)
		again, err := db.RotateIDNumbers(ctx, gm, 2, nil)
		require.NoError(t, err)
		require.Zero(t, again.Resealed["certificates"]+again.Resealed["applications"]+again.Resealed["users"])

		// Afterwards a sealer holding only the new keys reads and finds everything.
		only, err := pii.NewKeyring(pii.Keys{Suite: cryptosuite.GM, Current: newGen})
		require.NoError(t, err)
		for name, id := range people {
			cs, err := db.QueryCertificates(ctx, name, only.LookupKey(id))
			require.NoError(t, err)
			require.Len(t, cs, 1, "%s after rotation", name)
			c := cs[0]
			require.Equal(t, "gm.2", pii.TagOf(c.IDCipher))
			clear, err := only.Open(c.PersonID())
			require.NoError(t, err)
			require.Equal(t, id, clear)
			// Old certificates still verify (Ed25519), and not under the SM2 key alone.
			require.Equal(t, cryptosuite.AlgEd25519, c.SigAlg)
			require.True(t, models.VerifyCertificate(trusted, c))
			require.False(t, models.VerifyCertificate(cryptosuite.PublicKeys{cryptosuite.PublicOf(sm2Key)}, c))
		}
		u, err := db.UserByID(ctx, admin.ID)
		require.NoError(t, err)
		require.Equal(t, "gm.2", pii.TagOf(u.TOTPSecret))
		clearTOTP, err := only.Open(models.PersonID{Cipher: u.TOTPSecret})
		require.NoError(t, err)
		require.Equal(t, totpSecret, clearTOTP)
		rec, err := db.ApplicationByID(ctx, app.ID)
		require.NoError(t, err)
		draft, err := rec.Draft()
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(draft.Staff[0].ID.Cipher, "gm.2:"))
		clear, err := only.Open(draft.Staff[0].ID)
		require.NoError(t, err)
		require.Equal(t, holderID, clear)
		require.Equal(t, staff.Masked, draft.Staff[0].ID.Masked)
		require.Equal(t, "张三", draft.Staff[0].Name)

		// New certificates are signed with SM2 and verify next to the old ones.
		b := &activities.Activities{DB: db, Logger: quietLogger(), SigningKey: sm2Key}
		res2, err := b.IssueCertificates(ctx, activities.IssueInput{SessionID: "s-gm", EnterpriseID: ent.ID, CaseID: "case-7",
			IssueDate: time.Date(2027, 6, 2, 2, 0, 0, 0, time.UTC), Candidates: []activities.IssueCandidate{candidate(t, only, "k", "赵六", holderID, 2)}})
		require.NoError(t, err)
		c, err := db.CertificateByID(ctx, res2.CertificateIDs[0])
		require.NoError(t, err)
		require.Equal(t, cryptosuite.AlgSM2, c.SigAlg)
		require.True(t, models.VerifyCertificate(trusted, c))
		c.HolderName = "赵七"
		require.False(t, models.VerifyCertificate(trusted, c), "an edited SM2-signed certificate still verifies")
		_ = ed25519.PublicKey(nil)
	})
}
