package e2e_test

import (
	"fmt"
	"github.com/msilab/msilab/win"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/simlab"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/scenarios/runner"
)

// The lab of this Ginkgo process: each parallel process starts its own
// embedded lab; with MSILAB_LAB, processes share the inventory's hosts
// through lock files (lab.Pool.LockDir).
var matrixLab *runner.Lab

var _ = BeforeSuite(func(ctx SpecContext) {
	var pool *lab.Pool
	if path := os.Getenv("MSILAB_LAB"); path != "" {
		inv, err := lab.LoadInventory(path, win.ProfileNames())
		Expect(err).NotTo(HaveOccurred())
		hosts, err := inv.Connect(nil) // hypervisor hosts run no cells
		Expect(err).NotTo(HaveOccurred())
		pool = lab.NewPool(hosts)
		pool.LockDir = os.TempDir()
	} else {
		sl, err := simlab.Start(simlab.Options{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sl.Close)
		pool = lab.NewPool(sl.Hosts())
	}
	DeferCleanup(pool.Close)
	var err error
	matrixLab, err = runner.NewLab(ctx, pool, matrix, runner.Options{Out: GinkgoT().TempDir(), ToolVersion: "e2e", Remediate: true})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(matrixLab.Close)
}, NodeTimeout(5*time.Minute))

// cellEntries are one Entry per cell, labelled so that --label-filter
// slices the matrix: os:…, fault:…, context:…, code:….
func cellEntries() []TableEntry {
	var entries []TableEntry
	for _, c := range matrix {
		labels := []string{"os:" + c.Host.OS, "context:" + c.Context, fmt.Sprintf("code:%d", c.Expect.ExitCode), "scenario:" + c.Scenario.Name}
		if len(c.Scenario.Faults) == 0 {
			labels = append(labels, "fault:none")
		}
		for _, f := range c.Scenario.Faults {
			labels = append(labels, "fault:"+f.Type)
		}
		entries = append(entries, Entry(c.ID, Label(labels...), NodeTimeout(2*time.Minute), c))
	}
	return entries
}

var _ = Describe("the scenario matrix", func() {
	DescribeTable("reproduces each scenario's expected outcome, repairs it, and leaves the host as it was",
		func(ctx SpecContext, c scenarios.Cell) {
			cr, res, release, err := matrixLab.Begin(ctx, c)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(release) // on every path out, the skip included; after cr.Cleanup (cleanups run last in, first out)
			if cr == nil {
				Skip(res.Reason)
			}
			DeferCleanup(func(ctx SpecContext) {
				Expect(cr.Cleanup(ctx)).To(Succeed(), "rerun after the fixes, revert the faults, remove the product")
				Expect(res.StateAfter).To(Equal(res.StateBefore), "the host is back to its baseline")
				if rem := res.Remediation; rem != nil {
					AddReportEntry("remediation", remediationLines(rem))
					if rem.NotApplicable == "" {
						Expect(rem.Recovered).To(BeTrue(), "recovery: %s", rem.Reason)
						Expect(rem.Rerun.ExitCode).To(Equal(0), "the install after the fixes")
						Expect(rem.OverBroad).To(BeEmpty(), "no right broader than the OS default")
					}
				}
			}, NodeTimeout(2*time.Minute))

			Expect(cr.Baseline(ctx)).To(Succeed())
			Expect(cr.Inject(ctx)).To(Succeed())
			run, err := cr.Install(ctx)
			Expect(err).NotTo(HaveOccurred())
			AddReportEntry("msiexec", run.CommandLine+" → exit "+fmt.Sprint(run.ExitCode))
			AddReportEntry("verbose log", run.Log, ReportEntryVisibilityFailureOrVerbose)
			AddReportEntry("events", eventLines(run.Events), ReportEntryVisibilityFailureOrVerbose)

			cr.Check(run)
			for _, ch := range res.Checks {
				Expect(ch.OK).To(BeTrue(), "%s: want %s, got %s", ch.Name, ch.Want, ch.Got)
			}
			Expect(res.Commands).To(BeNumerically("<=", 6), "WinRM commands so far")
			if c.Expect.ExitCode != 0 {
				Expect(cr.Remediate(ctx, run)).To(Succeed(), "diagnose and fix the host")
				Expect(res.Remediation).NotTo(BeNil())
			}
		},
		cellEntries(),
	)
})

// remediationLines summarises findings and fixes for the report.
func remediationLines(rem *results.Remediation) string {
	var b strings.Builder
	for _, f := range rem.Findings {
		fmt.Fprintf(&b, "finding %s (%.2f): %s\n", f.ID, f.Confidence, f.Summary)
	}
	for _, f := range rem.Fixes {
		fmt.Fprintf(&b, "fix %s (risk %s) verified=%v rolled_back=%v\n%s\n", f.Name, f.Risk, f.Verified, f.RolledBack, f.PowerShell)
	}
	if rem.NotApplicable != "" {
		fmt.Fprintf(&b, "not applicable: %s\n", rem.NotApplicable)
	}
	return b.String()
}

// eventLines prints MsiInstaller events one per line.
func eventLines(evs []ops.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%d %s %s\n", e.EventID, e.Level, e.Message)
	}
	return b.String()
}
