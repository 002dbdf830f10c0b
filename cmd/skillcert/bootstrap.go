package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"skillcert/models"
	"skillcert/service"
	"skillcert/worker"
	"skillcert/workflows"
)

// bootstrapOptions are the flags of `skillcert bootstrap`.
type bootstrapOptions struct {
	Officials    string        // roster file (.xlsx or .csv)
	Experts      string        // expert pool workbook (.xlsx)
	Year         int           // campaign year (0: no campaign step)
	Collection   string        // YYYY-MM-DD, with Publication: custom deadlines
	Publication  string        //
	CodesOut     string        // file (0600, new) for the initial codes; "" prints them
	Retention    time.Duration // namespace retention when the namespace is created
	SkipTemporal bool          // no namespace / search-attribute step
	CampaignWait time.Duration // how long the campaign step waits for a worker
}

// bootstrapFlagNames are bootstrap's own flags (the rest go to loadConfig).
var bootstrapFlagNames = map[string]bool{"officials": true, "experts": true, "year": true, "collection": true,
	"publication": true, "codes-out": true, "retention": true, "skip-temporal": true, "campaign-wait": true}

// splitBootstrapArgs separates bootstrap's own flags from the configuration flags and parses them.
func splitBootstrapArgs(args []string) (bootstrapOptions, []string, error) {
	var own, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		name, _, hasValue := strings.Cut(name, "=")
		if !strings.HasPrefix(a, "-") || !bootstrapFlagNames[name] {
			rest = append(rest, a)
			continue
		}
		own = append(own, a)
		if !hasValue && name != "skip-temporal" && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	o := bootstrapOptions{}
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	fs.StringVar(&o.Officials, "officials", "", "officials' roster (.xlsx or .csv: 用户名, 姓名, 角色, 辖区代码, 手机号, 工号)")
	fs.StringVar(&o.Experts, "experts", "", "expert pool workbook (.xlsx, the /admin/experts import template)")
	fs.IntVar(&o.Year, "year", 0, "campaign year to start (0: none)")
	fs.StringVar(&o.Collection, "collection", "", "campaign: summaries due by this day (YYYY-MM-DD; default 20 May)")
	fs.StringVar(&o.Publication, "publication", "", "campaign: directory published by this day (YYYY-MM-DD; default 5 June)")
	fs.StringVar(&o.CodesOut, "codes-out", "", "write the created accounts' one-time initial codes to this new file (mode 0600) instead of printing them")
	fs.DurationVar(&o.Retention, "retention", 30*24*time.Hour, "retention of closed workflows when the namespace is created")
	fs.BoolVar(&o.SkipTemporal, "skip-temporal", false, "skip the namespace and search-attribute step")
	fs.DurationVar(&o.CampaignWait, "campaign-wait", 2*time.Minute, "how long the campaign step waits for a running worker")
	if err := fs.Parse(own); err != nil {
		return o, nil, err
	}
	if (o.Collection == "") != (o.Publication == "") {
		return o, nil, errors.New("bootstrap: -collection and -publication go together")
	}
	if o.Collection != "" && o.Year == 0 {
		return o, nil, errors.New("bootstrap: -collection and -publication need -year")
	}
	return o, rest, nil
}

// bootstrapReport prints one line a step: what it touched and whether it created or changed
// anything.
type bootstrapReport struct{ tw *tabwriter.Writer }

func (r bootstrapReport) step(name, outcome, detail string) {
	fmt.Fprintf(r.tw, "%s\t%s\t%s\n", name, outcome, detail)
	r.tw.Flush()
}

// runBootstrap brings a region up from nothing, idempotently: the Temporal namespace and search
// attributes, the database schema, the reference data and the three administrators, the
// officials' roster, the expert pool and the campaign. Running it again changes nothing.
func runBootstrap(ctx context.Context, cfg Config, log *slog.Logger, o bootstrapOptions, stdout io.Writer) error {
	rep := bootstrapReport{tw: tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)}
	// Read the files first: a missing file stops before anything is done.
	var roster, experts []byte
	var err error
	if o.Officials != "" {
		if roster, err = os.ReadFile(o.Officials); err != nil {
			return err
		}
	}
	if o.Experts != "" {
		if experts, err = os.ReadFile(o.Experts); err != nil {
			return err
		}
	}
	var cal service.StartCampaignBody
	if o.Year != 0 {
		cal.Year = o.Year
		if o.Collection != "" {
			loc, _ := time.LoadLocation("Asia/Shanghai")
			for _, d := range []struct {
				v   string
				dst **time.Time
			}{{o.Collection, &cal.CollectionDeadline}, {o.Publication, &cal.PublicationTarget}} {
				day, err := time.ParseInLocation("2006-01-02", d.v, loc)
				if err != nil {
					return fmt.Errorf("bootstrap: %q is not a date (YYYY-MM-DD)", d.v)
				}
				end := day.Add(24*time.Hour - time.Second)
				*d.dst = &end
			}
		}
	}

	var tc client.Client
	if !o.SkipTemporal {
		tc, err = client.DialContext(ctx, temporalClientOptions(cfg, log, cfg.TemporalAddress))
		if err != nil {
			return fmt.Errorf("dial temporal at %s: %w", cfg.TemporalAddress, err)
		}
		defer tc.Close()
		if err := bootstrapTemporal(ctx, tc, cfg, o, rep); err != nil {
			return err
		}
	} else {
		rep.step("temporal", "skipped", "-skip-temporal")
	}

	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, _, err := db.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		rep.step("database schema", "migrated", fmt.Sprintf("%d migrations applied, now at version %d", len(applied), cur))
	} else {
		rep.step("database schema", "unchanged", fmt.Sprintf("version %d", cur))
	}
	if err := setupCrypto(ctx, cfg, log, db); err != nil {
		return err
	}
	n, admins, err := seedDatabase(ctx, cfg, db)
	if err != nil {
		return err
	}
	rep.step("jurisdictions", createdOr(n > 0), fmt.Sprintf("%d added", n))
	rep.step("administrators", createdOr(len(admins) > 0), strings.Join(admins, ", "))

	if roster == nil && experts == nil && o.Year == 0 {
		return nil
	}
	svc, err := bootstrapService(ctx, cfg, log, db, tc, o.CampaignWait)
	if err != nil {
		return err
	}
	ctx = service.WithRequestID(ctx, "bootstrap-"+strconv.FormatInt(time.Now().Unix(), 10))
	if roster != nil {
		if err := bootstrapOfficials(ctx, svc, db, o, roster, rep, stdout); err != nil {
			return err
		}
	}
	if experts != nil {
		a, err := actorOfRole(ctx, svc, db, models.RoleRegionCentre)
		if err != nil {
			return fmt.Errorf("expert pool: %w", err)
		}
		res, err := svc.ImportExpertsIfChanged(ctx, a, experts)
		if err != nil {
			return fmt.Errorf("expert pool %s: %w", o.Experts, describe(err))
		}
		rep.step("expert pool", map[bool]string{true: "changed", false: "unchanged"}[res.Changed > 0],
			fmt.Sprintf("%d rows changed, %d unchanged (as %s)", res.Changed, res.Unchanged, a.User.Username))
	}
	if o.Year != 0 {
		if err := bootstrapCampaign(ctx, svc, db, tc, cal, rep); err != nil {
			return err
		}
	}
	return nil
}

func createdOr(created bool) string {
	if created {
		return "created"
	}
	return "unchanged"
}

// describe turns a refusal of the service layer into an error naming every fault (the row
// numbers of an import); other errors pass through.
func describe(err error) error {
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	if len(e.Fields) == 0 {
		return errors.New(e.Message)
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		b.WriteString("\n  ")
		b.WriteString(f.Message)
	}
	return errors.New(b.String())
}

// bootstrapTemporal registers the namespace if it is missing and adds the search attributes.
func bootstrapTemporal(ctx context.Context, tc client.Client, cfg Config, o bootstrapOptions, rep bootstrapReport) error {
	ns := cfg.TemporalNamespace
	_, err := tc.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	var notFound *serviceerror.NamespaceNotFound
	switch {
	case err == nil:
		rep.step("namespace "+ns, "unchanged", "")
	case errors.As(err, &notFound):
		if _, err := tc.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: ns,
			WorkflowExecutionRetentionPeriod: durationpb.New(o.Retention),
			Description:                      "skillcert: enterprise vocational-skill certification pilot"}); err != nil {
			var exists *serviceerror.NamespaceAlreadyExists
			if !errors.As(err, &exists) {
				return fmt.Errorf("register namespace %s: %w", ns, err)
			}
		}
		rep.step("namespace "+ns, "created", "retention "+o.Retention.String())
	default:
		return fmt.Errorf("describe namespace %s: %w", ns, err)
	}
	// A new namespace reaches every frontend within seconds; until then the operator calls say
	// it does not exist.
	deadline := time.Now().Add(time.Minute)
	for {
		have, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err == nil {
			var missing []string
			for name := range workflows.SearchAttributes() {
				if _, ok := have.GetCustomAttributes()[name]; !ok {
					missing = append(missing, name)
				}
			}
			sort.Strings(missing)
			if len(missing) == 0 {
				rep.step("search attributes", "unchanged", fmt.Sprintf("%d present", len(workflows.SearchAttributes())))
				return nil
			}
			if err = worker.EnsureSearchAttributes(ctx, tc, ns); err == nil {
				rep.step("search attributes", "created", strings.Join(missing, ", "))
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("search attributes of %s: %w", ns, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// bootstrapService builds the service layer the roster, pool and campaign steps go through;
// calls to Temporal may take as long as a worker needs to pick the campaign up.
func bootstrapService(ctx context.Context, cfg Config, log *slog.Logger, db *models.DB, tc client.Client, wait time.Duration) (*service.Service, error) {
	enf, err := service.NewEnforcer(ctx, db)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return nil, err
	}
	return service.New(service.Deps{DB: db, Enforcer: enf, Temporal: tc, Logger: log,
		Config:  service.Config{Location: loc, TemporalTimeout: wait},
		DataKey: cfg.DataKey, LookupKey: cfg.LookupKey, SigningKey: cfg.SigningKey, StorageDir: cfg.StorageDir, TaskQueue: cfg.TaskQueue,
		CryptoSuite: cfg.CryptoSuite, KeyVersion: cfg.KeyVersion, RetiredKeys: cfg.RetiredKeys, SM2SigningKey: cfg.SM2SigningKey,
		Timing: workflows.Timing{PublicitySeconds: cfg.PublicitySeconds}})
}

// actorOfRole is the first active account of role (oldest first): the steps act, and are
// audited, as the people whose work they do.
func actorOfRole(ctx context.Context, svc *service.Service, db *models.DB, role string) (*service.Actor, error) {
	var u models.User
	err := db.WithContext(ctx).Where("role = ? AND active = ?", role, true).Order("created_at, username").First(&u).Error
	if err != nil {
		return nil, fmt.Errorf("no active %s account (%s) to act as: create one first (the officials' roster)", role, models.RoleNames[role])
	}
	return svc.ActorFor(ctx, u)
}

// bootstrapOfficials imports the roster as the system administrator and hands out the initial
// codes once: into a new file only its owner reads, or on stdout. They are never logged.
func bootstrapOfficials(ctx context.Context, svc *service.Service, db *models.DB, o bootstrapOptions, roster []byte,
	rep bootstrapReport, stdout io.Writer) error {
	a, err := actorOfRole(ctx, svc, db, models.RoleSysadmin)
	if err != nil {
		return fmt.Errorf("officials: %w", err)
	}
	var out *os.File
	if o.CodesOut != "" {
		// Opened before anything is created: a file in the way stops the step, not the codes.
		if out, err = os.OpenFile(o.CodesOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return fmt.Errorf("-codes-out: %w (give a new file name)", err)
		}
		defer out.Close()
	}
	res, err := svc.ImportOfficials(ctx, a, filepath.Base(o.Officials), roster)
	if err != nil {
		if out != nil {
			out.Close()
			_ = os.Remove(o.CodesOut)
		}
		return fmt.Errorf("officials' roster %s: %w", o.Officials, describe(err))
	}
	rep.step("officials", createdOr(len(res.Created) > 0), fmt.Sprintf("%d created, %d unchanged", len(res.Created), len(res.Unchanged)))
	if len(res.Created) == 0 {
		if out != nil {
			out.Close()
			_ = os.Remove(o.CodesOut)
		}
		return nil
	}
	w := stdout
	if out != nil {
		w = out
	} else {
		fmt.Fprintln(stdout, "\ninitial codes (shown once; each logs in once within 24 hours, then its holder sets a password):")
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "row\tusername\trole\tjurisdiction\tinitial code\tvalid until (UTC)")
	for _, c := range res.Created {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", c.Row, c.Username, c.Role, c.Jurisdiction, c.InitialCode, c.CodeExpiresAt.UTC().Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out != nil {
		fmt.Fprintf(stdout, "initial codes of %d accounts written to %s (mode 0600)\n", len(res.Created), o.CodesOut)
	}
	return nil
}

// bootstrapCampaign starts the year's campaign as a region official unless it runs already.
func bootstrapCampaign(ctx context.Context, svc *service.Service, db *models.DB, tc client.Client, b service.StartCampaignBody, rep bootstrapReport) error {
	id := strconv.Itoa(b.Year)
	if cp, err := db.CampaignByID(ctx, id); err == nil {
		rep.step("campaign "+id, "unchanged", "summaries due "+cp.CollectionDeadline.UTC().Format(time.RFC3339))
		return nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if tc == nil {
		return errors.New("campaign: needs Temporal (drop -skip-temporal)")
	}
	a, err := actorOfRole(ctx, svc, db, models.RoleRegionOfficial)
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	if _, err := svc.OpenCampaign(ctx, a, b); err != nil {
		if e := service.UserError(service.ToError(err)); e != nil && e.Code == "temporal_unavailable" {
			return errors.New("campaign: the campaign workflow did not start in time: is a `skillcert worker` running on the task queue? (then run bootstrap again)")
		}
		return fmt.Errorf("campaign %s: %w", id, describe(err))
	}
	cp, err := db.CampaignByID(ctx, id)
	if err != nil {
		return err
	}
	rep.step("campaign "+id, "created", "summaries due "+cp.CollectionDeadline.UTC().Format(time.RFC3339)+", directory by "+cp.PublicationTarget.UTC().Format(time.RFC3339))
	return nil
}
