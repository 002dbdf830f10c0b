package deploy_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
)

const (
	repoRoot       = ".."
	composeFile    = "../docker-compose.yml"
	dockerfilePath = "../Dockerfile"
	dockerignore   = "../.dockerignore"

	storageDir = "/var/lib/skillcert/attachments"
)

// Test values for the variables the compose file guards with ${VAR:?}.
// They only have to be distinguishable, not secret.
var requiredEnv = map[string]string{
	"POSTGRES_PASSWORD":       "pg-test-password-0123",
	"SKILLCERT_DB_PASSWORD":   "app-db-password-4567",
	"TEMPORAL_DB_PASSWORD":    "temporal-db-password-89",
	"MINIO_ROOT_PASSWORD":     "minio-root-password-12",
	"SKILLCERT_S3_SECRET_KEY": "s3-app-secret-3456",
	"SKILLCERT_DATA_KEY":      testKey(1),
	"SKILLCERT_LOOKUP_KEY":    testKey(2),
	"SKILLCERT_SIGNING_KEY":   testKey(3),
	"SKILLCERT_SESSION_KEY":   testKey(4),
	"SKILLCERT_AUDIT_KEY":     testKey(5),
}

// secretKeys are the application secrets api, worker and seed must receive.
var secretKeys = []string{
	"SKILLCERT_DATA_KEY",
	"SKILLCERT_LOOKUP_KEY",
	"SKILLCERT_SIGNING_KEY",
	"SKILLCERT_SESSION_KEY",
	"SKILLCERT_AUDIT_KEY",
}

func testKey(b byte) string {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return base64.StdEncoding.EncodeToString(k)
}

// envWith returns a copy of requiredEnv with overrides set and the drop
// variables removed.
func envWith(overrides map[string]string, drop ...string) map[string]string {
	env := make(map[string]string, len(requiredEnv)+len(overrides))
	for k, v := range requiredEnv {
		env[k] = v
	}
	for k, v := range overrides {
		env[k] = v
	}
	for _, k := range drop {
		delete(env, k)
	}
	return env
}

// load parses docker-compose.yml the way `docker compose` does, but with an
// environment made only of env: the OS environment and any .env file are
// ignored so the test is hermetic.
func load(t *testing.T, env map[string]string, profiles ...string) (*types.Project, error) {
	t.Helper()
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(
		[]string{composeFile},
		cli.WithEnv(list),
		cli.WithProfiles(profiles),
	)
	require.NoError(t, err)
	return opts.LoadProject(context.Background())
}

func mustLoad(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	p, err := load(t, requiredEnv, profiles...)
	require.NoError(t, err)
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	require.Truef(t, ok, "service %q not found; have %v", name, p.ServiceNames())
	return s
}

func envValue(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	require.Truef(t, ok, "service %s: environment %s missing", s.Name, key)
	require.NotNilf(t, v, "service %s: environment %s has no value", s.Name, key)
	return *v
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestComposeServices(t *testing.T) {
	p := mustLoad(t)
	require.Equal(t, "skillcert", p.Name)
	require.ElementsMatch(t,
		[]string{"postgres", "temporal-schema", "temporal", "temporal-ui", "minio", "minio-bucket", "migrate", "api", "worker"},
		p.ServiceNames(),
		"services started by `docker compose up`")

	// seed is a one-off behind the "setup" profile.
	require.Contains(t, p.DisabledServices, "seed")
	require.Contains(t, p.DisabledServices, "bootstrap")
	withSetup := mustLoad(t, "setup")
	require.Contains(t, withSetup.Services, "seed")
	require.Equal(t, []string{"setup"}, withSetup.Services["seed"].Profiles)
	require.Equal(t, []string{"setup"}, withSetup.Services["bootstrap"].Profiles)
}

func TestComposeImages(t *testing.T) {
	p := mustLoad(t, "setup")
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)

	tests := []struct {
		service   string
		imageRepo string // "" means built from the Dockerfile
	}{
		{"postgres", "postgres"},
		{"temporal-schema", "temporalio/admin-tools"},
		{"temporal", "temporalio/server"},
		{"temporal-ui", "temporalio/ui"},
		{"minio", "minio/minio"},
		{"minio-bucket", "minio/mc"},
		{"migrate", ""},
		{"seed", ""},
		{"bootstrap", ""},
		{"api", ""},
		{"worker", ""},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := service(t, p, tt.service)
			if tt.imageRepo != "" {
				require.Nil(t, s.Build, "image services are not built")
				repo, tag := splitImage(s.Image)
				require.Equal(t, tt.imageRepo, repo, "image %q", s.Image)
				require.NotEmptyf(t, tag, "image %q must pin a tag", s.Image)
				require.NotEqualf(t, "latest", tag, "image %q must not use latest", s.Image)
				if repo == "postgres" {
					require.Regexpf(t, `^\d+\.\d+$`, tag, "image %q must pin a minor release (PostgreSQL versions are major.minor)", s.Image)
					return
				}
				require.Truef(t, exactTag.MatchString(tag), "image %q must pin an exact version (x.y.z or a MinIO RELEASE stamp), not a floating tag", s.Image)
				return
			}
			require.NotNil(t, s.Build, "skillcert services are built from the repository")
			require.Equal(t, root, s.Build.Context, "build context is the repository root")
			require.Equal(t, "Dockerfile", s.Build.Dockerfile)
			require.FileExists(t, filepath.Join(s.Build.Context, s.Build.Dockerfile))
			if s.Image != "" {
				_, tag := splitImage(s.Image)
				require.NotEqual(t, "latest", tag)
			}
		})
	}
}

// exactTag is a pinned version: major.minor.patch (with an optional suffix) or a MinIO
// release stamp. Floating tags such as "16" or "1.29" are refused.
var exactTag = regexp.MustCompile(`^(\d+\.\d+\.\d+([.-][\w.-]+)?|RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)$`)

// No service uses the deprecated auto-setup image; the schemas come from admin-tools
// (temporal-sql-tool, the default and the visibility schema), before the server starts.
func TestComposeTemporalWithoutAutoSetup(t *testing.T) {
	p := mustLoad(t, "setup")
	for _, s := range p.Services {
		require.NotContainsf(t, s.Image, "auto-setup", "%s uses the deprecated auto-setup image", s.Name)
	}
	job := service(t, p, "temporal-schema")
	script := strings.Join(append([]string(job.Entrypoint), job.Command...), " ")
	for _, want := range []string{"temporal-sql-tool", "setup-schema", "update-schema", "temporal_visibility", "/visibility/versioned", "/temporal/versioned"} {
		require.Contains(t, script, want)
	}
	require.Equal(t, types.RestartPolicyNo, job.Restart)
	require.Equal(t, types.ServiceConditionCompletedSuccessfully, service(t, p, "temporal").DependsOn["temporal-schema"].Condition)
	require.Equal(t, "temporal", envValue(t, job, "SQL_USER"))
}

// The app and Temporal use separate PostgreSQL roles and databases, created by the init
// script; the superuser's password reaches no service but postgres.
func TestComposeDatabaseRolesAreSeparate(t *testing.T) {
	p := mustLoad(t, "setup")
	u, err := url.Parse(envValue(t, service(t, p, "api"), "SKILLCERT_DATABASE_URL"))
	require.NoError(t, err)
	appPW, _ := u.User.Password()
	require.Equal(t, "skillcert", u.User.Username())
	require.Equal(t, requiredEnv["SKILLCERT_DB_PASSWORD"], appPW)
	temporal := service(t, p, "temporal")
	require.Equal(t, "temporal", envValue(t, temporal, "POSTGRES_USER"))
	require.Equal(t, requiredEnv["TEMPORAL_DB_PASSWORD"], envValue(t, temporal, "POSTGRES_PWD"))
	require.NotEqual(t, u.User.Username(), envValue(t, temporal, "POSTGRES_USER"))
	for _, s := range p.Services {
		for k, v := range s.Environment {
			if v != nil && *v == requiredEnv["POSTGRES_PASSWORD"] {
				require.Equalf(t, "postgres", s.Name, "%s receives the superuser password in %s", s.Name, k)
			}
			if s.Name != "postgres" && v != nil && strings.Contains(*v, requiredEnv["TEMPORAL_DB_PASSWORD"]) {
				require.Containsf(t, []string{"temporal", "temporal-schema"}, s.Name, "%s receives Temporal's database password", s.Name)
			}
		}
	}
	pg := service(t, p, "postgres")
	require.True(t, slices.ContainsFunc(pg.Volumes, func(v types.ServiceVolumeConfig) bool {
		return strings.HasSuffix(v.Source, "deploy/postgres-init.sh") && strings.HasPrefix(v.Target, "/docker-entrypoint-initdb.d/")
	}), "the init script creates the roles")
	script, err := os.ReadFile("postgres-init.sh")
	require.NoError(t, err)
	for _, want := range []string{"CREATE ROLE skillcert", "CREATE ROLE temporal", "NOSUPERUSER", "CREATE DATABASE skillcert OWNER skillcert",
		"CREATE DATABASE temporal OWNER temporal", "CREATE DATABASE temporal_visibility OWNER temporal", "REVOKE ALL ON DATABASE skillcert FROM PUBLIC"} {
		require.Contains(t, string(script), want)
	}
}

// Attachments live in MinIO: the app gets the S3 settings, a job creates the bucket and the
// app's own user.
func TestComposeObjectStorage(t *testing.T) {
	p := mustLoad(t, "setup")
	for _, name := range []string{"api", "worker", "bootstrap"} {
		s := service(t, p, name)
		require.Equal(t, "s3", envValue(t, s, "SKILLCERT_STORAGE_BACKEND"))
		require.Equal(t, "http://minio:9000", envValue(t, s, "SKILLCERT_S3_ENDPOINT"))
		require.Equal(t, "skillcert-attachments", envValue(t, s, "SKILLCERT_S3_BUCKET"))
		require.Equal(t, "skillcert", envValue(t, s, "SKILLCERT_S3_ACCESS_KEY"))
		require.Equal(t, requiredEnv["SKILLCERT_S3_SECRET_KEY"], envValue(t, s, "SKILLCERT_S3_SECRET_KEY"))
		require.NotEmpty(t, envValue(t, s, "SKILLCERT_S3_REGION"))
		require.NotContains(t, s.Environment, "MINIO_ROOT_PASSWORD", "the app never holds MinIO's root password")
	}
	for _, name := range []string{"api", "worker"} {
		require.Equal(t, types.ServiceConditionCompletedSuccessfully, service(t, p, name).DependsOn["minio-bucket"].Condition)
	}
	job := service(t, p, "minio-bucket")
	script := strings.Join(job.Command, " ")
	for _, want := range []string{"mc mb --ignore-existing", "SKILLCERT_S3_BUCKET", "mc admin user add"} {
		require.Contains(t, script, want)
	}
}

// The worker's health and metrics port, and TLS settings towards Temporal passed through.
func TestComposeWorkerHealthAndTemporalTLS(t *testing.T) {
	p := mustLoad(t)
	w := service(t, p, "worker")
	require.Equal(t, ":9091", envValue(t, w, "SKILLCERT_WORKER_HTTP"))
	require.NotNil(t, w.HealthCheck)
	require.Contains(t, strings.Join(w.HealthCheck.Test, " "), "http://127.0.0.1:9091/healthz")
	for _, name := range []string{"api", "worker"} {
		for _, k := range []string{"TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY"} {
			require.Contains(t, service(t, p, name).Environment, k)
		}
	}
	p2, err := load(t, envWith(map[string]string{"TEMPORAL_TLS_CA": "/certs/ca.pem", "TEMPORAL_TLS_SERVER_NAME": "temporal.internal"}))
	require.NoError(t, err)
	require.Equal(t, "temporal.internal", envValue(t, service(t, p2, "worker"), "TEMPORAL_TLS_SERVER_NAME"))
}

// splitImage splits "repo[:tag][@digest]" into repo and tag. A registry port
// ("host:5000/x") is not mistaken for a tag.
func splitImage(image string) (repo, tag string) {
	image, _, _ = strings.Cut(image, "@")
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon], image[colon+1:]
	}
	return image, ""
}

func TestComposeEnvironment(t *testing.T) {
	p := mustLoad(t, "setup")

	appEnv := map[string]string{
		"TEMPORAL_ADDRESS":      "temporal:7233",
		"TEMPORAL_NAMESPACE":    "skillcert",
		"SKILLCERT_TASK_QUEUE":  "skillcert",
		"SKILLCERT_PUBLIC_URL":  "http://localhost:8080",
		"SKILLCERT_STORAGE_DIR": storageDir,
		"SKILLCERT_LOG_FORMAT":  "json",
		"SKILLCERT_LOG_LEVEL":   "info",
	}
	for _, k := range secretKeys {
		appEnv[k] = requiredEnv[k]
	}
	with := func(base map[string]string, extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	tests := []struct {
		service string
		want    map[string]string // exact values
		dbURL   bool              // SKILLCERT_DATABASE_URL must point at postgres/skillcert
		absent  []string          // keys that must not be passed
	}{
		{
			service: "postgres",
			want: map[string]string{
				"POSTGRES_USER":         "postgres",
				"POSTGRES_PASSWORD":     requiredEnv["POSTGRES_PASSWORD"],
				"SKILLCERT_DB_PASSWORD": requiredEnv["SKILLCERT_DB_PASSWORD"],
				"TEMPORAL_DB_PASSWORD":  requiredEnv["TEMPORAL_DB_PASSWORD"],
			},
		},
		{
			service: "temporal",
			want: map[string]string{
				"DB":                "postgres12",
				"DB_PORT":           "5432",
				"POSTGRES_SEEDS":    "postgres",
				"POSTGRES_USER":     "temporal",
				"POSTGRES_PWD":      requiredEnv["TEMPORAL_DB_PASSWORD"],
				"DBNAME":            "temporal",
				"VISIBILITY_DBNAME": "temporal_visibility",
			},
			absent: secretKeys,
		},
		{
			service: "temporal-ui",
			want:    map[string]string{"TEMPORAL_ADDRESS": "temporal:7233"},
			absent:  append([]string{"POSTGRES_PASSWORD"}, secretKeys...),
		},
		{
			service: "migrate",
			want:    map[string]string{"SKILLCERT_LOG_FORMAT": "json"},
			dbURL:   true,
			absent:  secretKeys,
		},
		{
			service: "api",
			want:    with(appEnv, map[string]string{"SKILLCERT_HTTP_ADDR": ":8080"}),
			dbURL:   true,
		},
		{
			service: "worker",
			want:    appEnv,
			dbURL:   true,
			absent:  []string{"SKILLCERT_HTTP_ADDR"},
		},
		{
			service: "seed",
			want:    appEnv,
			dbURL:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := service(t, p, tt.service)
			for _, k := range sortedKeys(tt.want) {
				require.Equalf(t, tt.want[k], envValue(t, s, k), "%s", k)
			}
			for _, k := range tt.absent {
				require.NotContainsf(t, s.Environment, k, "%s must not receive %s", tt.service, k)
			}
			if !tt.dbURL {
				return
			}
			u, err := url.Parse(envValue(t, s, "SKILLCERT_DATABASE_URL"))
			require.NoError(t, err)
			require.Equal(t, "postgres", u.Scheme)
			require.Equal(t, "postgres", u.Hostname(), "database host is the postgres service")
			require.Equal(t, "5432", u.Port())
			require.Equal(t, "/skillcert", u.Path, "the app uses its own database")
			require.Equal(t, "skillcert", u.User.Username())
			pw, _ := u.User.Password()
			require.Equal(t, requiredEnv["SKILLCERT_DB_PASSWORD"], pw)
			require.Equal(t, "disable", u.Query().Get("sslmode"))
		})
	}

	// seed takes the admin password from the caller's environment only.
	seed := service(t, p, "seed")
	require.Contains(t, seed.Environment, "SKILLCERT_ADMIN_PASSWORD")
	require.Nil(t, seed.Environment["SKILLCERT_ADMIN_PASSWORD"], "not set in the test environment")
	p2, err := load(t, envWith(map[string]string{"SKILLCERT_ADMIN_PASSWORD": "first-admin"}), "setup")
	require.NoError(t, err)
	require.Equal(t, "first-admin", envValue(t, service(t, p2, "seed"), "SKILLCERT_ADMIN_PASSWORD"))
}

// TestComposeNamespaceOverride checks that one TEMPORAL_NAMESPACE setting
// reaches the app (bootstrap creates that namespace) and the UI.
func TestComposeNamespaceOverride(t *testing.T) {
	p, err := load(t, envWith(map[string]string{"TEMPORAL_NAMESPACE": "certs-staging"}))
	require.NoError(t, err)
	for _, name := range []string{"api", "worker"} {
		require.Equal(t, "certs-staging", envValue(t, service(t, p, name), "TEMPORAL_NAMESPACE"), name)
	}
	p, err = load(t, envWith(map[string]string{"TEMPORAL_NAMESPACE": "certs-staging"}), "setup")
	require.NoError(t, err)
	require.Equal(t, "certs-staging", envValue(t, service(t, p, "bootstrap"), "TEMPORAL_NAMESPACE"))
	require.Equal(t, "certs-staging", envValue(t, service(t, p, "temporal-ui"), "TEMPORAL_DEFAULT_NAMESPACE"))
}

func TestComposeDependsOn(t *testing.T) {
	p := mustLoad(t, "setup")
	const (
		healthy   = types.ServiceConditionHealthy
		completed = types.ServiceConditionCompletedSuccessfully
	)
	tests := []struct {
		service string
		want    map[string]string // dependency -> condition; exact set
	}{
		{"postgres", map[string]string{}},
		{"temporal-schema", map[string]string{"postgres": healthy}},
		{"temporal", map[string]string{"postgres": healthy, "temporal-schema": completed}},
		{"temporal-ui", map[string]string{"temporal": healthy}},
		{"minio", map[string]string{}},
		{"minio-bucket", map[string]string{"minio": healthy}},
		{"migrate", map[string]string{"postgres": healthy}},
		{"seed", map[string]string{"migrate": completed}},
		{"bootstrap", map[string]string{"postgres": healthy, "temporal": healthy}},
		{"api", map[string]string{"postgres": healthy, "migrate": completed, "temporal": healthy, "minio-bucket": completed}},
		{"worker", map[string]string{"postgres": healthy, "migrate": completed, "temporal": healthy, "minio-bucket": completed}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := service(t, p, tt.service)
			got := map[string]string{}
			for dep, d := range s.DependsOn {
				got[dep] = d.Condition
				require.Truef(t, d.Required, "%s -> %s should be required", tt.service, dep)
			}
			require.Equal(t, tt.want, got)
		})
	}

	// Every service_healthy dependency must have a healthcheck to wait for.
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition != healthy {
				continue
			}
			target := service(t, p, dep)
			require.NotNilf(t, target.HealthCheck, "%s waits for %s to be healthy, but it has no healthcheck", s.Name, dep)
			require.False(t, target.HealthCheck.Disable)
		}
	}
}

func TestComposeCommandsAndRestart(t *testing.T) {
	p := mustLoad(t, "setup")
	tests := []struct {
		service string
		command []string
		restart string
	}{
		{"api", []string{"api"}, types.RestartPolicyUnlessStopped},
		{"worker", []string{"worker"}, types.RestartPolicyUnlessStopped},
		{"migrate", []string{"migrate"}, types.RestartPolicyNo},
		{"seed", []string{"seed"}, types.RestartPolicyNo},
		{"bootstrap", []string{"bootstrap"}, types.RestartPolicyNo},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := service(t, p, tt.service)
			require.Equal(t, tt.command, []string(s.Command))
			require.Empty(t, s.Entrypoint, "the image entrypoint (the skillcert binary) is used")
			require.Equal(t, tt.restart, s.Restart)
			require.True(t, s.ReadOnly, "read-only root filesystem")
			require.Contains(t, s.CapDrop, "ALL")
		})
	}
}

func TestComposeHealthchecks(t *testing.T) {
	p := mustLoad(t)
	tests := []struct {
		service string
		want    []string // substrings of the joined test command
	}{
		{"postgres", []string{"pg_isready", "-U postgres", "-d skillcert"}},
		{"temporal", []string{"temporal operator cluster health", "--address temporal:7233"}},
		{"minio", []string{"mc ready local"}},
		{"api", []string{"wget", "http://127.0.0.1:8080/healthz"}},
		{"worker", []string{"wget", "http://127.0.0.1:9091/healthz"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			hc := service(t, p, tt.service).HealthCheck
			require.NotNil(t, hc)
			require.False(t, hc.Disable)
			require.NotEmpty(t, hc.Test)
			require.Contains(t, []string{"CMD", "CMD-SHELL"}, hc.Test[0])
			cmd := strings.Join(hc.Test[1:], " ")
			for _, w := range tt.want {
				require.Contains(t, cmd, w)
			}
			require.NotNil(t, hc.Interval)
			require.NotNil(t, hc.Retries)
		})
	}
}

func TestComposePorts(t *testing.T) {
	p := mustLoad(t, "setup")
	type port struct {
		hostIP    string
		published string
		target    uint32
	}
	want := map[string][]port{
		"postgres":        nil,
		"temporal-schema": nil,
		"temporal":        {{"127.0.0.1", "7233", 7233}},
		"temporal-ui":     {{"127.0.0.1", "8088", 8080}},
		"minio":           {{"127.0.0.1", "9001", 9001}},
		"minio-bucket":    nil,
		"migrate":         nil,
		"seed":            nil,
		"bootstrap":       nil,
		"api":             {{"", "8080", 8080}},
		"worker":          nil,
	}
	require.ElementsMatch(t, sortedKeys(want), append(p.ServiceNames(), sortedKeys(p.DisabledServices)...))
	for _, name := range sortedKeys(want) {
		t.Run(name, func(t *testing.T) {
			s := service(t, p, name)
			var got []port
			for _, pc := range s.Ports {
				if name != "api" {
					require.Equalf(t, "127.0.0.1", pc.HostIP, "%s publishes %s on all interfaces", name, pc.Published)
				}
				got = append(got, port{pc.HostIP, pc.Published, pc.Target})
			}
			require.Equal(t, want[name], got)
		})
	}
}

func TestComposeVolumes(t *testing.T) {
	p := mustLoad(t, "setup")
	require.ElementsMatch(t, []string{"postgres-data", "minio-data", "attachments"}, sortedKeys(p.Volumes))

	tests := []struct {
		service string
		source  string
		target  string
	}{
		{"postgres", "postgres-data", "/var/lib/postgresql/data"},
		{"api", "attachments", storageDir},
		{"worker", "attachments", storageDir},
		{"seed", "attachments", storageDir},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := service(t, p, tt.service)
			found := slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
				return v.Type == types.VolumeTypeVolume && v.Source == tt.source && v.Target == tt.target
			})
			require.Truef(t, found, "%s should mount volume %s at %s; has %+v", tt.service, tt.source, tt.target, s.Volumes)
			if tt.target == storageDir {
				require.Equal(t, storageDir, envValue(t, s, "SKILLCERT_STORAGE_DIR"))
			}
		})
	}
}

// TestComposeRequiresSecrets proves the ${VAR:?} guards: compose refuses to
// load while a secret is unset or empty, and says which one.
func TestComposeRequiresSecrets(t *testing.T) {
	for _, name := range sortedKeys(requiredEnv) {
		t.Run(name+"/unset", func(t *testing.T) {
			_, err := load(t, envWith(nil, name))
			require.Error(t, err)
			require.ErrorContains(t, err, "required variable "+name+" is missing a value")
			require.ErrorContains(t, err, "set "+name)
		})
		t.Run(name+"/empty", func(t *testing.T) {
			_, err := load(t, envWith(map[string]string{name: ""}))
			require.ErrorContains(t, err, "required variable "+name+" is missing a value")
		})
	}

	// No secret value is written in the file itself: every key that carries
	// one takes it from a guarded variable.
	raw, err := os.ReadFile(composeFile)
	require.NoError(t, err)
	secretFrom := map[string]string{"POSTGRES_PASSWORD": "POSTGRES_PASSWORD", "POSTGRES_PWD": "TEMPORAL_DB_PASSWORD",
		"SKILLCERT_DB_PASSWORD": "SKILLCERT_DB_PASSWORD", "TEMPORAL_DB_PASSWORD": "TEMPORAL_DB_PASSWORD", "SQL_PASSWORD": "TEMPORAL_DB_PASSWORD",
		"MINIO_ROOT_PASSWORD": "MINIO_ROOT_PASSWORD", "SKILLCERT_S3_SECRET_KEY": "SKILLCERT_S3_SECRET_KEY"}
	for _, k := range secretKeys {
		secretFrom[k] = k
	}
	seen := map[string]int{}
	for _, line := range strings.Split(string(raw), "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		variable, secret := secretFrom[key]
		if !ok || !secret {
			continue
		}
		seen[key]++
		require.Truef(t, strings.HasPrefix(strings.TrimSpace(value), "${"+variable+":?"),
			"%s must come from ${%s:?...}, got %q", key, variable, strings.TrimSpace(line))
	}
	require.Equal(t, sortedKeys(secretFrom), sortedKeys(seen), "every secret key is set somewhere")
}

// dockerfileStage is one FROM ... block of the Dockerfile.
type dockerfileStage struct {
	from         string   // image of the FROM line
	name         string   // AS name
	instructions []string // logical lines after FROM, continuations joined
}

// parseDockerfile is a deliberately small parser: comments dropped, "\"
// continuations joined, split into stages at each FROM.
func parseDockerfile(t *testing.T, path string) []dockerfileStage {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)

	var logical []string
	var cur strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	require.Zero(t, cur.Len(), "dangling line continuation")

	var stages []dockerfileStage
	for _, l := range logical {
		fields := strings.Fields(l)
		if strings.EqualFold(fields[0], "FROM") {
			st := dockerfileStage{}
			args := slices.DeleteFunc(fields[1:], func(f string) bool { return strings.HasPrefix(f, "--") })
			require.NotEmpty(t, args, "FROM without image: %q", l)
			st.from = args[0]
			if len(args) == 3 && strings.EqualFold(args[1], "AS") {
				st.name = args[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			continue // ARG before the first FROM
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, l)
	}
	return stages
}

// find returns the arguments of every instruction with the given keyword.
func (s dockerfileStage) find(keyword string) []string {
	var out []string
	for _, in := range s.instructions {
		kw, rest, _ := strings.Cut(in, " ")
		if strings.EqualFold(kw, keyword) {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, dockerfilePath)
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage build")

	build := stages[0]
	repo, tag := splitImage(build.from)
	require.Equal(t, "golang", repo)
	require.True(t, strings.HasPrefix(tag, "1.26"), "Go 1.26 toolchain, got %q", build.from)
	runs := strings.Join(build.find("RUN"), "\n")
	require.Contains(t, runs, "CGO_ENABLED=0")
	require.Contains(t, runs, "go build -trimpath")
	require.Contains(t, runs, "-tags noembedded", "the production binary has no embedded Temporal server")
	require.Contains(t, runs, "-o /out/skillcert ./cmd/skillcert")

	final := stages[len(stages)-1]
	t.Run("final stage image", func(t *testing.T) {
		repo, tag := splitImage(final.from)
		require.Contains(t, []string{"alpine", "gcr.io/distroless/static-debian12"}, repo)
		require.NotEmpty(t, tag)
		require.NotEqual(t, "latest", tag)
	})

	t.Run("entrypoint is the skillcert binary", func(t *testing.T) {
		eps := final.find("ENTRYPOINT")
		require.Len(t, eps, 1)
		ep := eps[0]
		require.True(t, strings.HasPrefix(ep, "["), "exec form, so signals reach the binary: %s", ep)
		first, _, _ := strings.Cut(strings.Trim(ep, "[]"), ",")
		binary := strings.Trim(strings.TrimSpace(first), `"`)
		require.Equal(t, "skillcert", filepath.Base(binary))

		copied := false
		for _, c := range final.find("COPY") {
			if strings.Contains(c, "--from="+build.name) && strings.HasSuffix(c, " "+binary) {
				copied = true
			}
		}
		require.Truef(t, copied, "final stage must COPY the binary from %q to %s", build.name, binary)
	})

	t.Run("runs as non-root", func(t *testing.T) {
		users := final.find("USER")
		require.NotEmpty(t, users, "final stage needs a USER")
		user, group, _ := strings.Cut(users[len(users)-1], ":")
		require.NotContains(t, []string{"root", "0", ""}, user)
		require.NotContains(t, []string{"root", "0"}, group)
	})

	t.Run("port and attachments", func(t *testing.T) {
		require.Contains(t, final.find("EXPOSE"), "8080")
		require.Contains(t, strings.Join(final.find("VOLUME"), " "), storageDir)
		require.Contains(t, strings.Join(final.find("ENV"), " "), "SKILLCERT_STORAGE_DIR="+storageDir)
	})
}

func TestDockerignore(t *testing.T) {
	raw, err := os.ReadFile(dockerignore)
	require.NoError(t, err)
	var patterns []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, want := range []string{".git", "var/", "**/*.db", ".env", "**/*.test"} {
		require.Containsf(t, patterns, want, ".dockerignore should exclude %s", want)
	}
	for _, needed := range []string{"go.mod", "go.sum", "cmd", "cmd/", "*.go", "**/*.go"} {
		require.NotContainsf(t, patterns, needed, "%s is needed by the build", needed)
	}
}
