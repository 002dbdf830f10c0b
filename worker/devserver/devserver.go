// Package devserver runs a Temporal server inside the skillcert process, persisted to a SQLite
// file, for `skillcert dev` and for end-to-end tests. It follows the recipe of Temporal's own
// lite server (temporaltest) with a database file instead of memory and the frontend bound to
// loopback. Production uses a Temporal cluster instead.
package devserver

import (
	"database/sql"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const loopback = "127.0.0.1"

// Config describes the embedded server.
type Config struct {
	// DatabaseFile is the SQLite file holding all Temporal state; empty means in memory
	// (state is lost when the process ends: tests only).
	DatabaseFile string
	// FrontendPort is the gRPC port clients dial on 127.0.0.1; 0 picks a free one.
	FrontendPort int
	// Namespace is created on start if missing.
	Namespace string
	// SearchAttributes are registered on the namespace when it is created.
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogLevel of the server's own log (debug, info, warn, error); default warn.
	LogLevel string
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
}

// HostPort is the frontend address to dial.
func (s *Server) HostPort() string { return s.hostPort }

// Stop shuts the server down.
func (s *Server) Stop() error { return s.srv.Stop() }

// Start creates (on first use) and starts the server.
func Start(cfg Config) (*Server, error) {
	if cfg.Namespace == "" {
		return nil, fmt.Errorf("devserver: namespace is required")
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	port := cfg.FrontendPort
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
		DatabaseName:      cfg.DatabaseFile,
	}
	if cfg.DatabaseFile == "" {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = "mem" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else {
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		// The plugin passes every attribute that is not a URI parameter as a pragma, by its
		// SQLite name (an unknown pragma is ignored without a word).
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "full" // a crash never loses an acknowledged decision
		sqlCfg.ConnectAttributes["busy_timeout"] = "10000"
		// One connection (the plugin's default): with several, writers meet SQLITE_BUSY and the
		// server retries, which measured slower (bench decisions: 16 decisions/s against 57).
		if _, err := os.Stat(cfg.DatabaseFile); os.IsNotExist(err) {
			if err := os.MkdirAll(filepath.Dir(cfg.DatabaseFile), 0o750); err != nil {
				return nil, fmt.Errorf("devserver: create data dir: %w", err)
			}
			if err := sqlite.SetupSchema(sqlCfg); err != nil {
				return nil, fmt.Errorf("devserver: set up schema: %w", err)
			}
		} else if err := forgetDeadMembers(cfg.DatabaseFile); err != nil {
			return nil, err
		}
	}
	if cfg.DatabaseFile == "" {
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("devserver: set up schema: %w", err)
		}
	}

	serverCfg, err := buildConfig(sqlCfg, port)
	if err != nil {
		return nil, err
	}
	ns, err := sqlite.NewNamespaceConfig(serverCfg.ClusterMetadata.CurrentClusterName, cfg.Namespace, false, cfg.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: namespace config: %w", err)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("devserver: create namespace: %w", err)
	}

	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: cfg.LogLevel, Format: "json"}))
	authorizer, err := authorization.GetAuthorizerFromConfig(&serverCfg.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&serverCfg.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(serverCfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(devDynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start: %w", err)
	}
	return &Server{srv: srv, hostPort: serverCfg.PublicClient.HostPort}, nil
}

func buildConfig(sqlCfg *config.SQL, port int) (*config.Config, error) {
	ports := make([]int, 0, 8)
	for i := 0; i < 8; i++ {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	frontend := fmt.Sprintf("%s:%d", loopback, port)
	svc := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: loopback}}
	}
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: loopback},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: fmt.Sprintf("%s:%d", loopback, ports[0]), HandlerPath: "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": svc(port, ports[1]),
			"history":  svc(ports[2], ports[3]),
			"matching": svc(ports[4], ports[5]),
			"worker":   svc(ports[6], ports[7]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		PublicClient: config.PublicClient{HostPort: frontend},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
	}, nil
}

// forgetDeadMembers removes the cluster membership rows a previous (stopped or killed) run left
// in the file. Only this process ever runs the server on the file, so every row is stale; left
// in place, the new run would wait about a minute for the dead hosts to be declared faulty before
// serving workflow tasks.
func forgetDeadMembers(file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("devserver: open %s: %w", file, err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM cluster_membership"); err != nil {
		return fmt.Errorf("devserver: clear stale membership: %w", err)
	}
	return nil
}

// handedOut are the ports freePort has returned in this process: a server takes nine at once,
// each checked free and closed again before the server binds it, so without this two of them
// could be the same port (a CI run failed with "bind: address already in use" on the
// membership port).
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort asks the kernel for an unused loopback port that this process has not handed out.
func freePort() (int, error) {
	// Ports are taken from below the kernel's ephemeral range (32768 and up on Linux): a port
	// handed out by ":0" is an ephemeral one, which an outgoing connection of another process
	// (a database client, an HTTP test) may take between our check and the server's bind.
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 200 {
		p := 20000 + mathrand.IntN(12000)
		if handedOut.ports[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", loopback, p))
		if err != nil {
			continue // in use
		}
		l.Close()
		handedOut.ports[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("devserver: no free port between 20000 and 32000")
}

// devDynamicConfig is the server's dynamic configuration for one process on one host: one
// partition per task queue. With the default four, a workflow task lands on a partition whose
// poller is elsewhere and waits to be forwarded; bench decisions measured 31 decisions/s and a
// p99 of 4.2 s with four, 57 decisions/s and 1.7 s with one.
func devDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
}
