package runner

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// flakyHost is one simulated host reached through a testlab.FlakyProxy.
// real serves it as a real host (asRealHost, snapshot driver none), so
// that the runner takes the real-host code path; else its driver is sim.
func flakyHost(tb testing.TB, osProfile string, opts testlab.FlakyOptions, real bool) (*lab.Host, *sim.Server, *testlab.FlakyProxy) {
	tb.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: osProfile})
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	h, p := srv.HostPort()
	target, driver := net.JoinHostPort(h, strconv.Itoa(p)), "sim"
	if real {
		u, err := url.Parse(asRealHost(tb, srv, osProfile))
		if err != nil {
			tb.Fatal(err)
		}
		target, driver = u.Host, "none"
	}
	proxy, err := testlab.NewFlakyProxy(target, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { proxy.Close() })
	ph, pp, _ := net.SplitHostPort(proxy.Addr())
	port, _ := strconv.Atoi(pp)
	spec := lab.HostSpec{Name: "flaky-" + osProfile, OS: osProfile, Endpoint: "http://" + proxy.Addr() + "/wsman", Auth: "basic",
		AllowBasicOverHTTP: true, User: srv.User(), StandardUser: "msilab-user", Snapshot: lab.SnapshotSpec{Driver: driver, Name: "msilab-clean"}}
	host := lab.NewHost(spec, lab.Endpoint{Host: ph, Port: port, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(),
		AllowBasicOverHTTP: true, OperationTimeout: 20 * time.Second})
	return host, srv, proxy
}

// flakyOutcome is what one run through the proxy came to.
type flakyOutcome struct {
	Cells, Pass, Fail, Infra int
	// TransportFails are the cells that end fail here and pass without
	// the proxy: product failures made by the network (the goal is 0).
	TransportFails []string
	// OffBaseline lists the host's state lines that differ from its clean
	// snapshot after the run; Pending the journal's cells left for
	// msilab revert (the goal for both is none).
	OffBaseline, Pending []string
	Quarantined          map[string]string
	// Faults is how many faults the proxy injected; Resends the batches
	// resent, Retries the cell attempts retried, Sends every batch sent.
	Faults, Resends, Retries, Sends int
	Statuses                        map[string]string
	Reasons                         []string
}

// runFlaky runs the built-in cells of the OS profile that match the
// scenario patterns (none: all 24) on one host through a proxy with opts.
func runFlaky(tb testing.TB, osProfile string, patterns []string, opts testlab.FlakyOptions, real bool, clean map[string]string) flakyOutcome {
	tb.Helper()
	host, srv, proxy := flakyHost(tb, osProfile, opts, real)
	pool := lab.NewPool([]*lab.Host{host})
	defer pool.Close()
	scs, err := scenarios.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	hosts := []scenarios.Host{{Name: host.Spec.Name, OS: osProfile}}
	cells := scenarios.Expand(scs, hosts, scenarios.Filter{Scenarios: patterns})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	// The host's clean state: after a run of the clean-host cell on a clean
	// network, which prepares it (the lab user, the packages).
	rate := opts.Rate
	proxy.SetRate(0)
	if _, err := Run(ctx, pool, scenarios.Expand(scs, hosts, scenarios.Filter{Scenarios: []string{"clean-host"}}), Options{Out: tb.TempDir(), SkipPreflight: true}); err != nil {
		tb.Fatalf("preparing run: %v", err)
	}
	before := srv.Host().Machine().State()
	proxy.SetRate(rate)
	out := tb.TempDir()
	sum, err := Run(ctx, pool, cells, Options{Out: out, Remediate: true, CellTimeout: 3 * time.Minute, SkipPreflight: true})
	if err != nil {
		tb.Fatalf("run: %v", err)
	}
	o := flakyOutcome{Cells: len(sum.Cells), Quarantined: sum.Quarantined, Statuses: map[string]string{}}
	for _, c := range sum.Cells {
		o.Statuses[c.ID] = c.Status
		switch c.Status {
		case results.StatusPass:
			o.Pass++
		case results.StatusFail:
			o.Fail++
			if clean != nil && clean[c.ID] == results.StatusPass {
				o.TransportFails = append(o.TransportFails, c.ID+": "+c.Reason)
			}
		case results.StatusInfra:
			o.Infra++
		}
		if c.Status != results.StatusPass || c.Attempts > 1 {
			o.Reasons = append(o.Reasons, fmt.Sprintf("%s %s: %s; transport errors %q", c.Status, c.ID, c.Reason, c.TransportErrors))
		}
		o.Resends += c.Resends
		o.Retries += c.Attempts - 1
		o.Sends += c.Sends
	}
	for _, n := range proxy.Counts() {
		o.Faults += n
	}
	if len(o.Quarantined) == 0 { // a quarantined host is left as it is, by design
		onlyBefore, onlyAfter := model.DiffState(before, srv.Host().Machine().State())
		was, now := normalized(onlyBefore), normalized(onlyAfter)
		for _, l := range was {
			if !slices.Contains(now, l) {
				o.OffBaseline = append(o.OffBaseline, "was: "+l)
			}
		}
		for _, l := range now {
			if !slices.Contains(was, l) {
				o.OffBaseline = append(o.OffBaseline, "now: "+l)
			}
		}
	}
	entries, err := journal.Read(filepath.Join(out, "journal.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	for cell := range journal.Pending(entries) {
		o.Pending = append(o.Pending, cell)
	}
	return o
}

// normalized are state lines without what preparing a run changes, and
// without the event log and msiserver's run state (Windows starts and
// stops it on its own): the standard user's password is set afresh (its
// hash is left out), a package a cell needs is uploaded. Last write
// times are left out too.
func normalized(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "event ") || strings.HasPrefix(l, "svc msiserver ") || strings.HasPrefix(l, `fs c:\programdata\msilab\packages\`) {
			continue
		}
		out = append(out, modifiedField.ReplaceAllString(passwordField.ReplaceAllString(l, ""), ""))
	}
	return out
}

// passwordField is a user's password hash; modifiedField a file's last
// write time (a folder's changes when a file is made and removed in it).
var (
	passwordField = regexp.MustCompile(` password=[0-9a-f]+`)
	modifiedField = regexp.MustCompile(` modified=\S+`)
)

// checkFlaky reports what the network must never cause: a product
// failure, a host off its baseline, a cell left for msilab revert.
func checkFlaky(tb testing.TB, what string, o flakyOutcome) {
	tb.Helper()
	if len(o.TransportFails) > 0 {
		tb.Errorf("%s: product failures made by the network: %q", what, o.TransportFails)
	}
	if len(o.OffBaseline) > 0 || len(o.Pending) > 0 {
		tb.Errorf("%s: host off its baseline %q, journal pending %q (quarantined %v)", what, o.OffBaseline, o.Pending, o.Quarantined)
	}
}

// The fast case: the temp-acl and clean-host cells (remediation on)
// through the proxy at 3% with one seed, on a simulated host and on one
// served as a real host (driver none): every fault kind is drawn, the
// batches are resent, nothing fails that passes on a clean network, and
// the host ends at its baseline with nothing pending.
func TestFlakyTransport(t *testing.T) {
	patterns := []string{"temp-acl-*", "clean-host", "disable-msi*"}
	clean := runFlaky(t, "win11-24h2", patterns, testlab.FlakyOptions{Seed: 1}, false, nil)
	if clean.Cells < 4 || clean.Pass != clean.Cells || clean.Faults != 0 {
		t.Fatalf("clean network: %d cells, %d pass, %d faults: %q", clean.Cells, clean.Pass, clean.Faults, clean.Reasons)
	}
	for _, real := range []bool{false, true} {
		what := fmt.Sprintf("real=%v", real)
		o := runFlaky(t, "win11-24h2", patterns, testlab.FlakyOptions{Seed: 3, Rate: 0.03}, real, clean.Statuses)
		t.Logf("%s: %d cells: %d pass, %d fail, %d infra; %d faults injected, %d resends, %d retries, %d sends (clean %d)",
			what, o.Cells, o.Pass, o.Fail, o.Infra, o.Faults, o.Resends, o.Retries, o.Sends, clean.Sends)
		for _, r := range o.Reasons {
			t.Logf("%s: %s", what, r)
		}
		checkFlaky(t, what, o)
		if o.Faults == 0 || o.Resends == 0 {
			t.Errorf("%s: %d faults, %d resends: the proxy injected nothing the runner had to resend", what, o.Faults, o.Resends)
		}
	}
}

// TestFlakySweep is the long sweep behind the README's reliability
// figures: the 24 built-in cells of one OS profile (remediation on) at
// per-chunk fault rates of 1% and 3%, MSILAB_FLAKY_SEEDS seeds each
// (default 20), on a simulated host and on one served as a real host.
// It runs only when MSILAB_FLAKY_SEEDS is set (it takes minutes):
//
//	MSILAB_FLAKY_SEEDS=20 go test ./scenarios/runner -run FlakySweep -v -timeout 3h
func TestFlakySweep(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MSILAB_FLAKY_SEEDS"))
	if n <= 0 {
		t.Skip("the seed sweep runs with MSILAB_FLAKY_SEEDS=N (N seeds per rate)")
	}
	modes := strings.Split(os.Getenv("MSILAB_FLAKY_MODES"), ",")
	if modes[0] == "" {
		modes = []string{"sim", "real"}
	}
	const osProfile = "win11-24h2"
	for _, mode := range modes {
		clean := runFlaky(t, osProfile, nil, testlab.FlakyOptions{}, mode == "real", nil)
		t.Logf("SWEEP mode=%s clean network: %d cells, %d pass, %d fail, %d infra, %d sends", mode, clean.Cells, clean.Pass, clean.Fail, clean.Infra, clean.Sends)
		for _, rate := range []float64{0.01, 0.03} {
			var tot flakyOutcome
			var offBase, pending, quarantined int
			for seed := int64(1); seed <= int64(n); seed++ {
				o := runFlaky(t, osProfile, nil, testlab.FlakyOptions{Seed: seed, Rate: rate}, mode == "real", clean.Statuses)
				checkFlaky(t, fmt.Sprintf("%s rate %v seed %d", mode, rate, seed), o)
				tot.Cells += o.Cells
				tot.Pass += o.Pass
				tot.Fail += o.Fail
				tot.Infra += o.Infra
				tot.TransportFails = append(tot.TransportFails, o.TransportFails...)
				tot.Faults += o.Faults
				tot.Resends += o.Resends
				tot.Retries += o.Retries
				tot.Sends += o.Sends
				if len(o.OffBaseline) > 0 {
					offBase++
				}
				if len(o.Pending) > 0 {
					pending++
				}
				if len(o.Quarantined) > 0 {
					quarantined++
				}
				for _, r := range o.Reasons {
					t.Logf("%s rate %v seed %d: %s", mode, rate, seed, r)
				}
			}
			t.Logf("SWEEP mode=%s rate=%.0f%% seeds=%d cells=%d pass=%d fail=%d infra=%d transport-fails=%d hosts-off-baseline=%d journal-pending=%d quarantined=%d faults=%d resends=%d retries=%d sends=%d clean-sends=%d extra-sends=%.1f%%",
				mode, rate*100, n, tot.Cells, tot.Pass, tot.Fail, tot.Infra, len(tot.TransportFails), offBase, pending, quarantined,
				tot.Faults, tot.Resends, tot.Retries, tot.Sends, clean.Sends*n, 100*float64(tot.Sends-clean.Sends*n)/float64(clean.Sends*n))
		}
	}
}
