package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// A Receive that never answers, after the host ran the command: the proxy
// holds the answer that carries the install batch's output (hang: all of
// it; stall: its first half, the HTTP headers arriving and the body never
// ending) until the test ends. The session's HTTP timeout (the operation
// timeout and the connect timeout, one second each here) bounds the wait,
// and the batch is resent under its ID on a new connection: the host
// answers from its record, the install runs once, the cell is never a
// fail, and the host ends at its baseline.
func TestHungReceiveIsBoundedAndResent(t *testing.T) {
	for _, fault := range testlab.HangFaults {
		t.Run(string(fault), func(t *testing.T) {
			host, srv, proxy := flakyHost(t, "win11-24h2", testlab.FlakyOptions{Seed: 1}, false)
			host.Endpoint.OperationTimeout, host.Endpoint.ConnectTimeout = time.Second, time.Second
			pool := lab.NewPool([]*lab.Host{host})
			defer pool.Close()
			scs, err := scenarios.Builtin()
			if err != nil {
				t.Fatal(err)
			}
			cells := scenarios.Expand(scs, []scenarios.Host{{Name: host.Spec.Name, OS: "win11-24h2"}},
				scenarios.Filter{Scenarios: []string{"temp-acl-system-read-only"}})
			proxy.HangAfter(fault, testlab.RequestStdinHas(`"op":"msi.install"`))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			sum, err := Run(ctx, pool, cells, Options{Out: t.TempDir(), Revert: RevertJournal, SkipPreflight: true})
			if err != nil {
				t.Fatal(err)
			}
			if n := proxy.Counts()[fault]; n != 1 {
				t.Fatalf("%d answers held, want the install's", n)
			}
			c := sum.Cells[0]
			t.Logf("%s after %d attempt(s), %d resends, %d replayed; transport errors %q", c.Status, c.Attempts, c.Resends, c.Replayed, c.TransportErrors)
			if c.Status == results.StatusFail || c.Status != results.StatusPass && c.Status != results.StatusInfra {
				t.Errorf("status %s (%s): want pass or infra-error, never fail", c.Status, c.Reason)
			}
			if c.Status == results.StatusPass && c.Observed.ExitCode != c.Expected.ExitCode {
				t.Errorf("observed exit %d, want %d", c.Observed.ExitCode, c.Expected.ExitCode)
			}
			if c.Resends < 1 || c.Replayed < 1 || len(c.TransportErrors) == 0 {
				t.Errorf("resends %d, replayed %d, transport errors %q: want the held batch given up on, resent and replayed", c.Resends, c.Replayed, c.TransportErrors)
			}
			install := 0
			for id, n := range srv.Host().BatchRuns() {
				if n != 1 {
					t.Errorf("batch %s ran %d times on the host", id, n)
				}
				if strings.Contains(id, "temp-acl-system-read-only") {
					install++
				}
			}
			if install == 0 {
				t.Error("no batch of the cell ran with an ID")
			}
			if !c.BackToBaseline {
				t.Errorf("not back to baseline: before %q, after %q", c.StateBefore, c.StateAfter)
			}
			if n := changedLines(t, srv.Host().Machine()); len(n) != 0 {
				t.Errorf("host changed after the run: %v", n)
			}
		})
	}
}
