package runner

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

var stdoutStream = regexp.MustCompile(`(<[^>]*Stream[^>]*Name="stdout"[^>]*>)([^<]*)(<)`)

// asRealHost serves a simulated host as a real one: a proxy to its WinRM
// that blanks the OS profile in what its commands print, host.info's
// answer included (ops.HostInfo.Profile, empty on real hosts, is how the
// runner tells a simulated host). It returns the proxy's URL.
func asRealHost(t testing.TB, srv *sim.Server, osProfile string) string {
	t.Helper()
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	profile := []byte(`"profile":"` + osProfile + `"`)
	p := httputil.NewSingleHostReverseProxy(target)
	p.ErrorLog = log.New(io.Discard, "", 0) // requests cut by a test's proxy in front
	p.ModifyResponse = func(r *http.Response) error {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		body = stdoutStream.ReplaceAllFunc(body, func(m []byte) []byte {
			sub := stdoutStream.FindSubmatch(m)
			data, err := base64.StdEncoding.DecodeString(string(sub[2]))
			if err != nil || !bytes.Contains(data, profile) {
				return m
			}
			data = bytes.ReplaceAll(data, profile, []byte(`"profile":""`))
			return []byte(string(sub[1]) + base64.StdEncoding.EncodeToString(data) + string(sub[3]))
		})
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	return front.URL
}

// A full-UI cell is skipped on a real host, and Lab.Begin must not keep
// the host it leased for it: with one host per OS, the next cell of that
// OS would wait for a lease forever. Two simulated hosts served as real
// ones (snapshot driver none), through a lab.yaml as the e2e suite's
// MSILAB_LAB reads it.
func TestLabBeginReleasesSkippedCells(t *testing.T) {
	oses := []string{"win11-24h2", "server2022"}
	dir := t.TempDir()
	var inv bytes.Buffer
	inv.WriteString("hosts:\n")
	var password string
	for i, osProfile := range oses {
		srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: osProfile})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		password = srv.Password()
		fmt.Fprintf(&inv, "  - name: host%d\n    os: %s\n    endpoint: %s/wsman\n    auth: basic\n    allow_basic_over_http: true\n    user: %s\n    password_env: MSILAB_LAB_TEST_PASSWORD\n    snapshot: {driver: none}\n",
			i+1, osProfile, asRealHost(t, srv, osProfile), srv.User())
	}
	t.Setenv("MSILAB_LAB_TEST_PASSWORD", password)
	path := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(path, inv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := lab.LoadInventory(path, oses)
	if err != nil {
		t.Fatal(err)
	}
	var hosts []*lab.Host
	var labHosts []scenarios.Host
	for _, s := range spec.Hosts {
		ep, err := s.Connect()
		if err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, lab.NewHost(s, ep))
		labHosts = append(labHosts, scenarios.Host{Name: s.Name, OS: s.OS})
	}
	pool := lab.NewPool(hosts)
	t.Cleanup(pool.Close)

	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var cells []scenarios.Cell
	for _, name := range []string{"full-ui-filtered-admin", "clean-host", "full-ui-filtered-admin", "clean-host"} {
		cells = append(cells, scenarios.Expand(scs, labHosts, scenarios.Filter{Scenarios: []string{name}})...)
	}
	if len(cells) != 4*len(oses) {
		t.Fatalf("%d cells, want %d", len(cells), 4*len(oses))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l, err := NewLab(ctx, pool, cells, Options{Out: t.TempDir(), ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// begin is Lab.Begin with a deadline: a cell left waiting for a host
	// fails the test instead of hanging it.
	begin := func(c scenarios.Cell) (*CellRun, *results.CellResult, func()) {
		t.Helper()
		bctx, bcancel := context.WithTimeout(ctx, time.Minute)
		defer bcancel()
		cr, res, release, err := l.Begin(bctx, c)
		if err != nil {
			t.Fatalf("%s: Begin: %v (a host still leased?)", c.ID, err)
		}
		return cr, res, release
	}
	for _, c := range cells {
		cr, res, release := begin(c)
		if c.Scenario.UI == ops.UIFull {
			if cr != nil || res.Status != results.StatusSkip {
				t.Fatalf("%s: on a real host: status %q (%s), want skipped", c.ID, res.Status, res.Reason)
			}
			continue // not released, as the e2e suite's Skip did: Begin must hold no host
		}
		if cr == nil {
			t.Fatalf("%s: skipped: %s", c.ID, res.Reason)
		}
		if err := cr.Baseline(ctx); err != nil {
			t.Fatalf("%s: baseline: %v", c.ID, err)
		}
		if err := cr.Inject(ctx); err != nil {
			t.Fatalf("%s: inject: %v", c.ID, err)
		}
		run, err := cr.Install(ctx)
		if err != nil {
			t.Fatalf("%s: install: %v", c.ID, err)
		}
		cr.Check(run)
		if err := cr.Cleanup(ctx); err != nil {
			t.Fatalf("%s: cleanup: %v", c.ID, err)
		}
		release()
		if res.Status != results.StatusPass || !res.BackToBaseline {
			t.Errorf("%s: %s (%s), back to baseline %v", c.ID, res.Status, res.Reason, res.BackToBaseline)
		}
	}
	// A skipped cell's release does nothing: above all, it does not return
	// the host a second time, which blocks on a pool that has it already.
	if _, _, release := begin(cells[0]); release != nil {
		released := make(chan struct{})
		go func() { release(); close(released) }()
		select {
		case <-released:
		case <-time.After(time.Minute):
			t.Fatal("the release of a skipped cell blocks")
		}
	}
}
