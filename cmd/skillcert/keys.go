package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/pii"
)

// keysInUse lists the configured keys with their fingerprints, for the start check.
func keysInUse(cfg Config) []models.KeyInUse {
	var out []models.KeyInUse
	add := func(purpose string, version int, key []byte, setting string) {
		if len(key) > 0 {
			out = append(out, models.KeyInUse{Purpose: purpose, Version: version, Fingerprint: cryptosuite.Fingerprint(key), Setting: setting})
		}
	}
	add("data", cfg.KeyVersion, cfg.DataKey, "SKILLCERT_DATA_KEY")
	add("lookup", cfg.KeyVersion, cfg.LookupKey, "SKILLCERT_LOOKUP_KEY")
	for _, g := range cfg.RetiredKeys {
		add("data", g.Version, g.Data, "SKILLCERT_RETIRED_KEYS")
		add("lookup", g.Version, g.Lookup, "SKILLCERT_RETIRED_KEYS")
	}
	add("signing-ed25519", 0, cfg.SigningKey, "SKILLCERT_SIGNING_KEY")
	add("signing-sm2", 0, cfg.SM2SigningKey, "SKILLCERT_SM2_SIGNING_KEY")
	add("audit", 0, cfg.AuditKey, "SKILLCERT_AUDIT_KEY")
	add("session", 0, cfg.SessionKey, "SKILLCERT_SESSION_KEY")
	return out
}

// certSigner is the key that signs certificates and audit checkpoints under the configured
// suite: Ed25519 (intl) or SM2 (gm); nil when it is not configured.
func certSigner(cfg Config) (crypto.Signer, error) {
	suite, err := cryptosuite.ByName(cfg.CryptoSuite)
	if err != nil {
		return nil, err
	}
	key := cfg.SigningKey
	if suite.SignatureAlg() == cryptosuite.AlgSM2 {
		key = cfg.SM2SigningKey
	}
	if len(key) == 0 {
		return nil, nil
	}
	return cryptosuite.NewSigner(suite.SignatureAlg(), key)
}

// sealerOf builds the ID-number sealer of the configuration.
func sealerOf(cfg Config) (*pii.Sealer, error) {
	return pii.NewKeyring(pii.Keys{Suite: cfg.CryptoSuite,
		Current: pii.Generation{Version: cfg.KeyVersion, Data: cfg.DataKey, Lookup: cfg.LookupKey}, Retired: cfg.RetiredKeys})
}

// setupCrypto checks the process's keys against the deployment's recorded fingerprints and keys
// the audit chain. Without an audit key the chain stays unkeyed (and models refuses to append to
// a chain that is keyed already).
func setupCrypto(ctx context.Context, cfg Config, log *slog.Logger, db *models.DB) error {
	if err := db.CheckKeys(ctx, keysInUse(cfg)); err != nil {
		return err
	}
	if len(cfg.AuditKey) == 0 {
		return nil
	}
	signer, err := certSigner(cfg)
	if err != nil {
		return err
	}
	if signer == nil {
		return fmt.Errorf("SKILLCERT_AUDIT_KEY is set but the %s suite's signing key is not: audit checkpoints need it", cfg.CryptoSuite)
	}
	trusted, err := cryptosuite.VerifyingKeys(cfg.SigningKey, cfg.SM2SigningKey)
	if err != nil {
		return err
	}
	return db.SetAuditChain(&models.AuditChain{Suite: cryptosuite.MustByName(cfg.CryptoSuite), Key: cfg.AuditKey,
		Signer: signer, Trusted: trusted, EveryRows: cfg.AuditCheckpointRows, Every: cfg.AuditCheckpointInterval,
		OnCheckpoint: func(cp models.AuditCheckpoint) {
			// A copy outside the database: the log shipper keeps what a database intruder cannot reach.
			log.Info("audit checkpoint", "id", cp.ID, "rows", cp.Seq, "lastHash", cp.LastHash, "alg", cp.SigAlg, "signature", cp.Signature)
		}})
}

// runKeys runs `skillcert keys rotate [-batch N]` and `skillcert keys fingerprints`.
func runKeys(ctx context.Context, cfg Config, log *slog.Logger, sub string, args []string, stdout io.Writer) error {
	db, err := openDB(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "fingerprints":
		rows, err := db.KeyFingerprints(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			fmt.Fprintf(stdout, "%-16s v%-3d %s  since %s\n", r.Purpose, r.Version, r.Fingerprint, r.CreatedAt.UTC().Format("2006-01-02"))
		}
		return nil
	case "rotate":
	default:
		return fmt.Errorf("unknown keys command %q (want rotate or fingerprints)", sub)
	}
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	batch := fs.Int("batch", 500, "rows per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(cfg.DataKey) == 0 || len(cfg.LookupKey) == 0 {
		return errors.New("SKILLCERT_DATA_KEY and SKILLCERT_LOOKUP_KEY are required to rotate")
	}
	sealer, err := sealerOf(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "resealing ID numbers to %s (suite %s, key version %d)\n", sealer.Current(), cfg.CryptoSuite, cfg.KeyVersion)
	rep, err := db.RotateIDNumbers(ctx, sealer, *batch, func(table string, scanned, resealed int) {
		log.Info("keys rotate", "table", table, "scanned", scanned, "resealed", resealed)
	})
	tables := make([]string, 0, len(rep.Scanned))
	for t := range rep.Scanned {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var parts []string
	for _, t := range tables {
		parts = append(parts, fmt.Sprintf("%s %d resealed of %d rows", t, rep.Resealed[t], rep.Scanned[t]))
	}
	fmt.Fprintf(stdout, "%s; %d values could not be opened or written\n", strings.Join(parts, ", "), rep.Failed)
	if err != nil {
		return fmt.Errorf("keys rotate stopped (run it again to resume): %w", err)
	}
	_ = db.AppendAudit(ctx, &models.AuditEntry{ActorName: "cli", Action: "keys.rotate", ObjectType: "crypto_keys",
		ObjectID: sealer.Current(), AfterState: strings.Join(parts, ", "), Outcome: models.OutcomeOK})
	if rep.Failed > 0 {
		return fmt.Errorf("%d values were left as they were: configure the key versions they need in SKILLCERT_RETIRED_KEYS and run again", rep.Failed)
	}
	return nil
}
