// Package runner runs a scenario matrix: parallel workers lease hosts from
// a lab.Pool and take each cell through its lifecycle
// (docs/architecture.md, "The cell"):
//
//	revert the host's snapshot → record the baseline the faults touch
//	(undo data journaled) → inject → run the install in the cell's context
//	→ check exit code, log signature and events → diagnose and fix the host
//	(remediation), rerun the install and prove recovery
//	→ revert the fixes and faults, remove the product, check the baseline
//	→ release.
//
// Cleanup runs on every exit path, Ctrl-C and timeouts included. Each cell
// is one JSON line in results.jsonl, written as it ends.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/evidence"
	"github.com/msilab/msilab/scenarios/report"
	"github.com/msilab/msilab/scenarios/results"
)

// Options configure a run.
type Options struct {
	// Out is the output directory (results.jsonl, journal.jsonl, reports, evidence/).
	Out string
	// Parallel is the number of workers (default 1).
	Parallel int
	// Resume keeps results.jsonl and skips cells already finished in it.
	Resume bool
	// CellTimeout bounds one attempt of a cell (default 15 min).
	CellTimeout time.Duration
	// Retries is how many times a cell is retried after an infrastructure
	// error (default 2).
	Retries int
	// ToolVersion is recorded with every cell.
	ToolVersion string
	// Lab describes the lab in reports ("embedded simulated lab", a file).
	Lab string
	// Shard is recorded in reports ("" or "i/n").
	Shard string
	// Calibration, when set, compares the finished cells with a simulated
	// run of them (msilab run --calibrate); the HTML report shows it.
	Calibration func(cells []results.CellResult) map[string]*results.Calibration
	// Matrix and MatrixCells identify the whole matrix a shard was cut
	// from (scenarios.MatrixID, its cell count), for run.json; empty: the
	// cells given are the whole matrix.
	Matrix      string
	MatrixCells int
	// Progress receives one line per finished cell (nil: none).
	Progress io.Writer
	// Terminal says Progress is a terminal: a status line (cells done,
	// pass/fail/infra counts, the cell on each host, ETA) is kept below
	// the cells' lines and redrawn in place. TermWidth is its width in
	// columns (0: unknown).
	Terminal  bool
	TermWidth int
	// Remediate closes the loop (lifecycle steps 6 and 7): after the
	// expected failure, diagnose and fix the host, rerun the install, and
	// prove recovery and the baseline.
	Remediate bool
	// SkipPreflight skips msilab doctor's checks of each host before its
	// first cell (a host that fails them is refused: its cells do not run).
	SkipPreflight bool
	// Resend bounds the resends of a batch whose answer was lost (zero:
	// lab.DefaultResend; Sends 1: none, every lost answer is an
	// infrastructure error of the cell).
	Resend lab.ResendPolicy
	// Revert is the revert policy (default auto): journal (the journal's
	// undo only, checked by the baseline comparison), snapshot (revert
	// the host's snapshot before every cell) or auto (the journal, and
	// the snapshot only after a cell that left the host changed, timed
	// out or met an infrastructure error).
	Revert string
}

// Revert policies (Options.Revert).
const (
	RevertJournal  = "journal"
	RevertSnapshot = "snapshot"
	RevertAuto     = "auto"
)

// RevertPolicies lists the policies.
var RevertPolicies = []string{RevertJournal, RevertSnapshot, RevertAuto}

// checkRevert checks the policy against the pool's hosts and says once
// per host when auto falls back to the journal.
func checkRevert(opts *Options, pool *lab.Pool) error {
	if opts.Revert == "" {
		opts.Revert = RevertAuto
	}
	if !slices.Contains(RevertPolicies, opts.Revert) {
		return fmt.Errorf("runner: revert policy %q: want one of %s", opts.Revert, strings.Join(RevertPolicies, ", "))
	}
	var none []string
	for _, h := range pool.Hosts() {
		if !h.HasSnapshots() {
			none = append(none, h.Spec.Name)
		}
	}
	switch {
	case len(none) == 0 || opts.Revert == RevertJournal:
	case opts.Revert == RevertSnapshot:
		return fmt.Errorf("runner: --revert snapshot: host(s) %s have no snapshot driver (driver: none)", strings.Join(none, ", "))
	case opts.Progress != nil:
		fmt.Fprintf(opts.Progress, "msilab: --revert auto: host(s) %s have no snapshot driver (driver: none): they are reverted by the journal only\n", strings.Join(none, ", "))
	}
	return nil
}

// Summary is what a run produced.
type Summary struct {
	Cells    []results.CellResult
	Counts   map[string]int
	Duration time.Duration
	// Commands counts WinRM commands: per cell, and host preparation.
	Commands, PrepCommands int
	// Resends counts the batches sent again after a lost answer, by the
	// cells and by host preparation.
	Resends, PrepResends int
	// Quarantined are the hosts taken out of the run, and why.
	Quarantined map[string]string
}

// OK reports whether every cell reproduced its expectation.
func (s *Summary) OK() bool {
	return s.Counts[results.StatusFail] == 0 && s.Counts[results.StatusInfra] == 0
}

// Run runs cells on the pool's hosts. It returns an error only when the run
// itself could not be made (output directory, journal); cell outcomes are
// in the Summary.
func Run(ctx context.Context, pool *lab.Pool, cells []scenarios.Cell, opts Options) (*Summary, error) {
	if opts.Parallel < 1 {
		opts.Parallel = 1
	}
	if opts.CellTimeout <= 0 {
		opts.CellTimeout = defaultCellTimeout
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	} else if opts.Retries == 0 {
		opts.Retries = 2
	}
	if opts.Out == "" {
		opts.Out = "msilab-out"
	}
	if err := checkRevert(&opts, pool); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := os.MkdirAll(filepath.Join(opts.Out, "evidence"), 0o755); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	r := &run{opts: opts, pool: pool, hosts: map[*lab.Host]*hostInfo{}, packages: map[string]*pkgInfo{}}
	var err error
	if r.journal, err = journal.Open(filepath.Join(opts.Out, "journal.jsonl")); err != nil {
		return nil, err
	}
	defer r.journal.Close()
	if r.results, err = results.OpenWriter(filepath.Join(opts.Out, "results.jsonl"), opts.Resume); err != nil {
		return nil, err
	}
	defer r.results.Close()
	prior := map[string]results.CellResult{}
	if opts.Resume {
		if prior, err = results.Finished(filepath.Join(opts.Out, "results.jsonl")); err != nil {
			return nil, err
		}
	}
	var todo []scenarios.Cell
	for _, c := range cells {
		if _, done := prior[c.ID]; !done {
			todo = append(todo, c)
		}
	}
	if err := r.loadPackages(todo); err != nil {
		return nil, err
	}
	r.prepare(ctx, todo)
	r.work(ctx, interleave(todo))
	r.forgetBatches(ctx)
	r.giveBack()

	sum := &Summary{Counts: map[string]int{}, PrepCommands: r.prepCommands, PrepResends: r.prepStats.Snapshot().Resends}
	for _, c := range cells {
		res, ok := r.done(c.ID)
		if !ok {
			if res, ok = prior[c.ID]; !ok {
				continue // not run: the run was interrupted
			}
		}
		sum.Cells = append(sum.Cells, res)
		sum.Counts[res.Status]++
		sum.Commands += res.Commands
		sum.Resends += res.Resends
	}
	sum.Duration = time.Since(start)
	r.mu.Lock()
	for h, why := range r.quarantines {
		if sum.Quarantined == nil {
			sum.Quarantined = map[string]string{}
		}
		sum.Quarantined[h.Spec.Name] = why
	}
	r.mu.Unlock()
	rep := report.Run{ID: r.runID(), Started: start.UTC(), Duration: sum.Duration, ToolVersion: opts.ToolVersion,
		Lab: opts.Lab, Shard: opts.Shard, Cells: sum.Cells, Logs: r.logs(sum.Cells), Scenarios: map[string]*scenarios.Scenario{}}
	for _, c := range cells {
		rep.Scenarios[c.Scenario.Name] = c.Scenario
	}
	if opts.Calibration != nil {
		rep.Calibration = opts.Calibration(sum.Cells)
	}
	rep.Quarantined = sum.Quarantined
	if err := report.WriteAll(opts.Out, rep); err != nil {
		return sum, fmt.Errorf("runner: reports: %w", err)
	}
	man := results.Manifest{ToolVersion: opts.ToolVersion, Matrix: opts.Matrix, MatrixCells: opts.MatrixCells, Shard: opts.Shard,
		Lab: opts.Lab, Started: rep.Started, Duration: sum.Duration, Cells: []string{}, Quarantined: sum.Quarantined}
	if man.Matrix == "" {
		man.Matrix, man.MatrixCells = scenarios.MatrixID(cells), len(cells)
	}
	for _, c := range cells {
		man.Cells = append(man.Cells, c.ID)
	}
	if err := results.WriteManifest(opts.Out, man); err != nil {
		return sum, fmt.Errorf("runner: %w", err)
	}
	return sum, ctx.Err()
}

// run is one run in progress.
type run struct {
	opts     Options
	pool     *lab.Pool
	journal  *journal.Journal
	results  *results.Writer
	id       string
	packages map[string]*pkgInfo

	mu           sync.Mutex
	hosts        map[*lab.Host]*hostInfo
	refused      map[string][]string // OS profile -> refused hosts' failures
	usable       map[string]int      // OS profile -> hosts not refused
	removed      []*lab.Host         // refused hosts taken out of the pool
	finished     map[string]results.CellResult
	prepCommands int
	live         *live                // the terminal's status line (nil: none)
	quarantines  map[*lab.Host]string // host -> why it serves no more cells (reconcile.go)
	prepStats    lab.BatchStats       // the sends of host preparation
}

// hostInfo is what preparing a host learned.
type hostInfo struct {
	info      ops.HostInfo
	simulated bool
	// logons are the passwords the host's batches carry (lab.WithLogons):
	// the administrator's and the lab's standard user's, for the contexts
	// that log on interactively.
	logons []ops.Logon
	err    error // preparation failed: the host's cells are infrastructure errors
}

func (r *run) runID() string {
	if r.id == "" {
		b := make([]byte, 4)
		rand.Read(b)
		r.id = time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
	}
	return r.id
}

func (r *run) done(id string) (results.CellResult, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, ok := r.finished[id]
	return res, ok
}

func (r *run) finish(res results.CellResult) error {
	r.mu.Lock()
	if r.finished == nil {
		r.finished = map[string]results.CellResult{}
	}
	r.finished[res.ID] = res
	r.mu.Unlock()
	return r.results.Append(res)
}

// interleave orders cells round-robin across OS profiles, so that parallel
// workers spread over the hosts instead of queueing on one.
func interleave(cells []scenarios.Cell) []scenarios.Cell {
	byOS := map[string][]scenarios.Cell{}
	var oses []string
	for _, c := range cells {
		if _, ok := byOS[c.Host.OS]; !ok {
			oses = append(oses, c.Host.OS)
		}
		byOS[c.Host.OS] = append(byOS[c.Host.OS], c)
	}
	sort.Strings(oses)
	var out []scenarios.Cell
	for i := 0; len(out) < len(cells); i++ {
		for _, os := range oses {
			if i < len(byOS[os]) {
				out = append(out, byOS[os][i])
			}
		}
	}
	return out
}

// work runs the cells on opts.Parallel workers.
func (r *run) work(ctx context.Context, cells []scenarios.Cell) {
	queue := make(chan scenarios.Cell)
	var wg sync.WaitGroup
	total := len(cells)
	var n int
	var nmu sync.Mutex
	if r.opts.Terminal && r.opts.Progress != nil {
		r.live = newLive(r.opts.Progress, r.opts.TermWidth, total, nil)
		defer r.live.close()
	}
	for w := 0; w < r.opts.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range queue {
				res := r.cell(ctx, c)
				if err := r.finish(res); err != nil && r.opts.Progress != nil {
					fmt.Fprintf(r.opts.Progress, "msilab: results: %v\n", err)
				}
				nmu.Lock()
				n++
				r.progress(n, total, res)
				nmu.Unlock()
			}
		}()
	}
	for _, c := range cells {
		if ctx.Err() != nil {
			break
		}
		select {
		case queue <- c:
		case <-ctx.Done():
		}
	}
	close(queue)
	wg.Wait()
}

func (r *run) progress(n, total int, res results.CellResult) {
	if r.opts.Progress == nil {
		return
	}
	mark := map[string]string{results.StatusPass: "PASS", results.StatusFail: "FAIL", results.StatusInfra: "INFRA", results.StatusSkip: "SKIP"}[res.Status]
	line := fmt.Sprintf("[%*d/%d] %-5s %s  exit %d (want %d)  %d cmds  %s", len(fmt.Sprint(total)), n, total, mark, res.ID,
		res.Observed.ExitCode, res.Expected.ExitCode, res.Commands, res.Duration.Round(time.Millisecond))
	if res.Reason != "" && res.Status != results.StatusPass {
		line += "  — " + res.Reason
	}
	if rv := res.Revert; rv != nil && rv.How == results.RevertSnapshot && r.opts.Revert == RevertAuto {
		line += fmt.Sprintf("  [reverted by snapshot %s in %s: %s]", rv.Snapshot, rv.Took.Round(time.Millisecond), rv.Why)
	}
	if r.live != nil {
		r.live.finished(res, line)
		return
	}
	fmt.Fprintln(r.opts.Progress, line)
}

// logs reads each cell's verbose log back from its evidence bundle.
func (r *run) logs(cells []results.CellResult) map[string]string {
	out := map[string]string{}
	for _, c := range cells {
		if c.Evidence == "" {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(r.opts.Out, c.Evidence, "msiexec.log")); err == nil {
			out[c.ID] = string(b)
		}
	}
	return out
}

// isInfra tells transport failures (retried, never a product result) from
// everything else.
func isInfra(err error) bool {
	var (
		unreachable *lab.UnreachableError
		transport   *lab.TransportError
		fault       *lab.WSManFault
		auth        *lab.AuthError
		partial     *ops.ResponseError
		interrupted *ops.BatchInterruptedError
	)
	return errors.As(err, &unreachable) || errors.As(err, &transport) || errors.As(err, &fault) ||
		errors.As(err, &auth) || errors.As(err, &partial) || errors.As(err, &interrupted) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, lab.ErrClosed) ||
		errors.Is(err, errInfra)
}

var errInfra = errors.New("runner: infrastructure")

// evidenceDir is a cell's bundle directory, relative to Out.
func evidenceDir(id string) string {
	return filepath.Join("evidence", strings.NewReplacer("/", "__", `\`, "_", ":", "_").Replace(id))
}

func writeEvidence(out string, res *results.CellResult, sc *scenarios.Scenario, runRes *ops.MsiRun) {
	res.Evidence = evidenceDir(res.ID)
	if runRes == nil {
		runRes = &ops.MsiRun{}
	}
	if err := evidence.Write(filepath.Join(out, res.Evidence), res, sc, runRes); err != nil {
		res.Evidence = ""
	}
}

// defaultCellTimeout bounds one attempt of a cell.
const defaultCellTimeout = 15 * time.Minute
