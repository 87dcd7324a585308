package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/simlab"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/scenarios/runner"
	"github.com/msilab/msilab/win"
	"golang.org/x/term"
)

const runUsage = `Usage:
  msilab run [flags]

Runs a scenario matrix (scenarios × hosts × install contexts): each cell
injects its faults, runs a real install, and checks exit code, verbose-log
signature and events. With no --lab, an embedded simulated lab (one host
per OS profile) runs in-process. Exits 1 if any cell misses its expectation.

Flags:
`

// runFlags are msilab run's flags.
type runFlags struct {
	scenarios, lab, osList, contexts, only, out, shard, format string
	revert, profiles                                           string
	parallel                                                   int
	resume, remediate, calibrate                               bool
	cellTimeout                                                time.Duration
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), runUsage); fs.PrintDefaults() }
	var f runFlags
	fs.StringVar(&f.scenarios, "scenarios", "", "scenario files or directories, comma-separated (default: the built-in catalog)")
	fs.StringVar(&f.lab, "lab", os.Getenv("MSILAB_LAB"), "lab inventory (lab.yaml); default $MSILAB_LAB, else the embedded simulated lab")
	fs.StringVar(&f.osList, "os", "", "OS profiles to run, comma-separated (default: all the lab has)")
	fs.StringVar(&f.contexts, "context", "", "install contexts to run, comma-separated (default: each scenario's)")
	fs.StringVar(&f.only, "only", "", "scenario names to run, comma-separated globs")
	fs.StringVar(&f.out, "out", "msilab-out", "output directory")
	fs.IntVar(&f.parallel, "parallel", 0, "parallel workers (default: one per host)")
	fs.StringVar(&f.shard, "shard", "", "run shard i of n of the matrix, as i/n (1-based)")
	fs.BoolVar(&f.resume, "resume", false, "keep results.jsonl in --out and skip the cells it has finished")
	fs.BoolVar(&f.remediate, "remediate", true, "after each reproduced failure, diagnose and fix the host, rerun the install and prove recovery")
	fs.StringVar(&f.format, "format", "text", "output: text (progress and the matrix) or json (the results)")
	fs.DurationVar(&f.cellTimeout, "cell-timeout", 15*time.Minute, "time limit of one attempt of a cell")
	fs.StringVar(&f.revert, "revert", runner.RevertAuto, "how a host returns to clean: journal (undo the cell's changes, checked by the baseline), "+
		"snapshot (revert the host's snapshot before every cell) or auto (the journal; the snapshot after a cell that left the host changed, timed out or met an infrastructure error)")
	fs.BoolVar(&f.calibrate, "calibrate", false, "with --lab: run each cell on the lab host and on a simulated host of the same OS profile (the host's profile_file: in lab.yaml, else its os:), "+
		"and write calibration.md and calibration.json naming the cells where they disagree and the simulator's rules involved")
	fs.StringVar(&f.profiles, "profile", "", "OS profile files (comma-separated; such as msilab profile capture writes): the embedded simulated lab runs one host of each instead of the built-in profiles")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("msilab run takes flags only, got %q", fs.Args())
	}
	if f.calibrate && (f.lab == "" || f.resume) {
		return usagef("--calibrate compares a lab with the simulator: it needs --lab, and excludes --resume")
	}
	if f.profiles != "" && f.lab != "" {
		return usagef("--profile runs the embedded simulated lab: it excludes --lab (in lab.yaml, a host's profile_file: serves --calibrate)")
	}
	if f.format != "text" && f.format != "json" {
		return usagef("--format must be text or json")
	}
	if !contains(runner.RevertPolicies, f.revert) {
		return usagef("--revert must be one of %s", strings.Join(runner.RevertPolicies, ", "))
	}
	filter, err := f.filter()
	if err != nil {
		return err
	}
	scs, err := loadScenarios(f.scenarios)
	if err != nil {
		return err
	}
	profs, err := loadProfiles(f.profiles)
	if err != nil {
		return err
	}
	pool, labName, closeLab, err := openLab(f.lab, filter.OS, profs)
	if err != nil {
		return err
	}
	defer closeLab()
	var hosts []scenarios.Host
	for _, h := range pool.Hosts() {
		hosts = append(hosts, scenarios.Host{Name: h.Spec.Name, OS: h.Spec.OS})
	}
	cells := scenarios.Expand(scs, hosts, filter)
	whole := filter
	whole.Shard = scenarios.Shard{}
	matrix := scenarios.Expand(scs, hosts, whole)
	if len(cells) == 0 {
		return fmt.Errorf("no cells to run: no scenario applies to the lab's OS profiles %v with these filters", pool.OSes())
	}
	if f.parallel <= 0 {
		f.parallel = len(pool.Hosts())
	}
	progress := io.Writer(stderr)
	if f.format == "json" {
		progress = nil
	}
	if progress != nil {
		fmt.Fprintf(progress, "msilab: %d cells (%d scenarios) on %s, %d workers, output in %s\n",
			len(cells), len(scs), labName, f.parallel, f.out)
	}
	isTerm, width := terminal(progress)
	var cal *calibration
	if f.calibrate {
		if cal, err = simulateTwins(ctx, pool, cells, f, progress, isTerm, width); err != nil {
			return err
		}
	}
	sum, err := runner.Run(ctx, pool, cells, runner.Options{Calibration: cal.hook(), Out: f.out, Parallel: f.parallel, Resume: f.resume,
		CellTimeout: f.cellTimeout, ToolVersion: version, Lab: labName, Shard: f.shard, Progress: progress, Remediate: f.remediate, Revert: f.revert,
		Terminal: isTerm, TermWidth: width, Matrix: scenarios.MatrixID(matrix), MatrixCells: len(matrix)})
	if sum == nil {
		return err
	}
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(sum.Cells); jerr != nil {
			return jerr
		}
	} else {
		printMatrix(stdout, sum.Cells)
		fmt.Fprintf(stdout, "\n%d cells: %d pass, %d fail, %d infra-error, %d skipped in %s; %d WinRM commands (%.1f per cell) + %d to prepare hosts\n",
			len(sum.Cells), sum.Counts[results.StatusPass], sum.Counts[results.StatusFail], sum.Counts[results.StatusInfra],
			sum.Counts[results.StatusSkip], sum.Duration.Round(time.Millisecond), sum.Commands,
			float64(sum.Commands)/float64(max(1, len(sum.Cells))), sum.PrepCommands)
		if sum.Resends+sum.PrepResends > 0 {
			fmt.Fprintf(stdout, "%d sends repeated after a lost answer, %d of them preparing hosts (a batch runs once on its host however often it is sent)\n",
				sum.Resends+sum.PrepResends, sum.PrepResends)
		}
		var quarantined []string
		for _, why := range sum.Quarantined {
			quarantined = append(quarantined, why)
		}
		sort.Strings(quarantined)
		for _, why := range quarantined {
			fmt.Fprintf(stdout, "%s\n", why)
		}
		fmt.Fprintf(stdout, "reports: %s\n", strings.Join([]string{filepath.Join(f.out, "report.html"), filepath.Join(f.out, "junit.xml"),
			filepath.Join(f.out, "summary.md"), filepath.Join(f.out, "results.jsonl")}, ", "))
	}
	if err != nil {
		return err
	}
	disagree := 0
	if cal != nil {
		if disagree, err = cal.write(f.out, labName, stdout); err != nil {
			return err
		}
	}
	if !sum.OK() || disagree > 0 {
		return &exitCodeError{code: 1}
	}
	return nil
}

// terminal reports whether w is a terminal, and its width in columns (0
// when unknown): there the runner keeps a live status line.
func terminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		width = 0
	}
	return true, width
}

func (f runFlags) filter() (scenarios.Filter, error) {
	var flt scenarios.Filter
	flt.OS = splitList(f.osList)
	known := win.ProfileNames()
	for _, o := range flt.OS {
		if !contains(known, o) {
			return flt, usagef("--os: unknown OS profile %q (known: %s)", o, strings.Join(known, ", "))
		}
	}
	flt.Contexts = splitList(f.contexts)
	for _, c := range flt.Contexts {
		if !contains(ops.Contexts, c) {
			return flt, usagef("--context: unknown context %q (known: %s)", c, strings.Join(ops.Contexts, ", "))
		}
	}
	flt.Scenarios = splitList(f.only)
	if f.shard != "" {
		sh, err := scenarios.ParseShard(f.shard)
		if err != nil {
			return flt, usagef("--shard: %v", err)
		}
		flt.Shard = sh
	}
	return flt, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loadScenarios reads the scenario files or directories, or the catalog.
func loadScenarios(paths string) ([]*scenarios.Scenario, error) {
	if paths == "" {
		return scenarios.Builtin()
	}
	var all []*scenarios.Scenario
	for _, p := range splitList(paths) {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("scenarios: %w", err)
		}
		var scs []*scenarios.Scenario
		if fi.IsDir() {
			scs, err = scenarios.LoadDir(p)
		} else {
			var sc *scenarios.Scenario
			sc, err = scenarios.LoadFile(p)
			scs = []*scenarios.Scenario{sc}
		}
		if err != nil {
			return nil, err
		}
		all = append(all, scs...)
	}
	seen := map[string]string{}
	for _, sc := range all {
		if prev, dup := seen[sc.Name]; dup {
			return nil, fmt.Errorf("scenario %s is defined twice: %s and %s", sc.Name, prev, sc.File)
		}
		seen[sc.Name] = sc.File
	}
	return all, nil
}

// loadProfiles reads --profile's files.
func loadProfiles(files string) ([]win.Profile, error) {
	var out []win.Profile
	for _, f := range splitList(files) {
		p, err := win.LoadProfileFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// openLab opens the inventory's hosts, or starts the embedded simulated
// lab (of the given profiles, when there are any).
func openLab(inventory string, osFilter []string, profs []win.Profile) (*lab.Pool, string, func(), error) {
	if inventory == "" {
		sl, err := simlab.Start(simlab.Options{OS: osFilter, Profiles: profs})
		if err != nil {
			return nil, "", nil, err
		}
		if len(sl.Hosts()) == 0 {
			sl.Close()
			return nil, "", nil, fmt.Errorf("--profile: no profile is one of --os %v", osFilter)
		}
		name := "embedded simulated lab"
		if len(profs) > 0 {
			name += " (profiles from files)"
		}
		return lab.NewPool(sl.Hosts()), name, sl.Close, nil
	}
	inv, err := lab.LoadInventory(inventory, win.ProfileNames())
	if err != nil {
		return nil, "", nil, err
	}
	hosts, err := inv.Connect(func(spec lab.HostSpec) bool { return len(osFilter) == 0 || contains(osFilter, spec.OS) })
	if err != nil {
		return nil, "", nil, err
	}
	if len(hosts) == 0 {
		return nil, "", nil, fmt.Errorf("%s: no host has the OS profiles %v", inventory, osFilter)
	}
	pool := lab.NewPool(hosts)
	return pool, inventory, pool.Close, nil
}

// printMatrix prints scenarios × OS profiles, one mark per context.
func printMatrix(w io.Writer, cells []results.CellResult) {
	var oses, names []string
	byKey := map[string][]results.CellResult{}
	for _, c := range cells {
		if !contains(oses, c.OS) {
			oses = append(oses, c.OS)
		}
		if !contains(names, c.Scenario) {
			names = append(names, c.Scenario)
		}
		byKey[c.Scenario+"|"+c.OS] = append(byKey[c.Scenario+"|"+c.OS], c)
	}
	sort.Strings(oses)
	sort.Strings(names)
	width := len("scenario")
	for _, n := range names {
		width = max(width, len(n))
	}
	fmt.Fprintf(w, "\n%-*s", width, "scenario")
	for _, o := range oses {
		fmt.Fprintf(w, "  %-11s", o)
	}
	fmt.Fprintln(w)
	mark := map[string]string{results.StatusPass: "ok", results.StatusFail: "FAIL", results.StatusInfra: "INFRA", results.StatusSkip: "skip"}
	for _, n := range names {
		fmt.Fprintf(w, "%-*s", width, n)
		for _, o := range oses {
			var parts []string
			for _, c := range byKey[n+"|"+o] {
				parts = append(parts, mark[c.Status])
			}
			cell := strings.Join(parts, ",")
			if cell == "" {
				cell = "·"
			}
			fmt.Fprintf(w, "  %-11s", cell)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\n(one mark per install context; details in report.html)")
}
