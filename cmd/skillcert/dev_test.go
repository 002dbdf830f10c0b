package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDevStagesDemoCases runs `skillcert dev` on an empty data directory, as a person would
// after cloning, and checks what the first start stages through its own API: 乳业's pilot goes
// all the way, and the certificate numbers it logs are found by the public query; its
// enterprise is in the published directory.
func TestDevStagesDemoCases(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	logFile, err := os.Create(filepath.Join(dir, "dev.log"))
	require.NoError(t, err)
	defer logFile.Close()
	p := &devProcess{t: t, base: "http://" + addr, log: logFile, env: []string{"SKILLCERT_TEST_CHILD=dev", "SKILLCERT_DATA_DIR=" + filepath.Join(dir, "var"),
		"SKILLCERT_HTTP_ADDR=" + addr, "SKILLCERT_DEV_TEMPORAL_PORT=0", "SKILLCERT_LOG_LEVEL=info", "SKILLCERT_TEMPORAL_LOG_LEVEL=fatal",
		"SKILLCERT_DATABASE_URL=", "SKILLCERT_PUBLICITY_SECONDS=2"}}
	p.start()
	defer p.kill()

	// The log line carries certificate numbers only; the holders are the demo's invented
	// candidates, two of whom pass.
	staged := regexp.MustCompile(`msg="demo cases staged".* certificates=(\S+)`)
	var numbers []string
	deadline := time.Now().Add(2 * time.Minute)
	for numbers == nil && time.Now().Before(deadline) {
		b, _ := os.ReadFile(logFile.Name())
		require.NotContains(t, string(b), "demo cases not staged", "dev log:\n%s", p.logTail())
		if m := staged.FindSubmatch(b); m != nil {
			numbers = strings.Split(string(m[1]), ",")
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Len(t, numbers, 2, "two of the three demo candidates pass (dev log:\n%s)", p.logTail())
	whole, err := os.ReadFile(logFile.Name())
	require.NoError(t, err)
	require.NotContains(t, string(whole), "考生", "no holder's name in the log")
	for _, n := range numbers {
		found := 0
		for _, holder := range []string{"考生甲", "考生乙"} {
			var q publicQuery
			getJSON(t, p.base+"/api/v1/public/certificates?number="+n+"&name="+url.QueryEscape(holder), &q)
			if len(q.Items) == 1 {
				require.Equal(t, "valid", q.Items[0].Status)
				found++
			}
		}
		require.Equal(t, 1, found, "certificate %s is found with its holder's name", n)
	}
	var dirList struct {
		Items []struct {
			EnterpriseName string `json:"enterprise_name"`
		} `json:"items"`
	}
	getJSON(t, p.base+"/api/v1/directory?batch=1", &dirList)
	require.Len(t, dirList.Items, 1)
	require.Equal(t, "呼和浩特乳业示范有限公司", dirList.Items[0].EnterpriseName)
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}

// TestBenchLifecycleCommand runs `skillcert bench lifecycle --cases 1` and reads its line: the
// case reached its certificates, and the rates and both ratios are numbers.
func TestBenchLifecycleCommand(t *testing.T) {
	var out bytes.Buffer
	env := envOf(map[string]string{"SKILLCERT_LOG_LEVEL": "error", "SKILLCERT_DATA_DIR": t.TempDir()})
	require.Equal(t, 0, run([]string{"bench", "lifecycle", "--cases", "1", "--data", filepath.Join(t.TempDir(), "bench")}, env, &out), out.String())
	line := strings.TrimSpace(out.String())
	require.True(t, strings.HasPrefix(line, "lifecycle cases=1 "), line)
	fields := map[string]string{}
	for _, f := range strings.Fields(line)[1:] {
		k, v, ok := strings.Cut(f, "=")
		require.True(t, ok, f)
		fields[k] = v
	}
	require.Equal(t, "2", fields["certificates"], "two of three candidates pass")
	require.Equal(t, "9", fields["decisions"], "review, three expert scores, region decision, work plan, filing, results, audit")
	for _, k := range []string{"seconds", "transitions_per_s", "baseline_transitions_per_s", "ratio", "same_work_baseline_transitions_per_s", "same_work_ratio"} {
		v, err := strconv.ParseFloat(fields[k], 64)
		require.NoError(t, err, k)
		require.Positive(t, v, k)
	}
}
