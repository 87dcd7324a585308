package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/evidence"
	"github.com/msilab/msilab/scenarios/results"
)

// ErrMergeMismatch is wrapped by Merge's refusals: the output directories
// do not belong to one matrix run by one msilab version.
var ErrMergeMismatch = errors.New("report: merge refused")

// MergeOptions configure Merge.
type MergeOptions struct {
	// Out is the merged output directory; it must be none of the inputs.
	Out string
	// Partial accepts shards that leave some of the matrix's cells out
	// (by default every cell of the matrix must be in one of them).
	Partial bool
}

// Merge combines the output directories of --shard runs of one matrix
// (their run.json, results.jsonl and evidence bundles) into one: Out gets
// the merged results.jsonl and run.json, the evidence bundles, and the
// reports written from them (report.html, junit.xml, summary.md). It
// refuses directories of different matrices or msilab versions, a shard
// given twice, a cell in two shards, and (unless Partial) a matrix not
// wholly covered, and says why; it writes nothing then.
func Merge(dirs []string, opts MergeOptions) (Run, error) {
	if len(dirs) == 0 {
		return Run{}, fmt.Errorf("%w: no output directories to merge", ErrMergeMismatch)
	}
	outAbs, err := filepath.Abs(opts.Out)
	if err != nil {
		return Run{}, fmt.Errorf("report: %w", err)
	}
	mans := make([]results.Manifest, len(dirs))
	for i, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil && abs == outAbs {
			return Run{}, fmt.Errorf("%w: the output directory %s is one of the inputs", ErrMergeMismatch, opts.Out)
		}
		if mans[i], err = results.ReadManifest(d); err != nil {
			return Run{}, err
		}
	}
	first := mans[0]
	shardOf := map[string]string{}
	for i, m := range mans {
		switch {
		case m.ToolVersion != first.ToolVersion:
			return Run{}, fmt.Errorf("%w: different msilab versions: %s was written by msilab %s, %s by msilab %s; run every shard with one msilab",
				ErrMergeMismatch, dirs[0], first.ToolVersion, dirs[i], m.ToolVersion)
		case m.Matrix != first.Matrix:
			return Run{}, fmt.Errorf("%w: different matrices: %s is a shard of matrix %.12s (%d cells), %s of matrix %.12s (%d cells); "+
				"the shards of one run use the same scenarios (same files), OS profiles and filters (--os, --context, --only)",
				ErrMergeMismatch, dirs[0], first.Matrix, first.MatrixCells, dirs[i], m.Matrix, m.MatrixCells)
		}
		if m.Shard != "" {
			if prev, dup := shardOf[m.Shard]; dup {
				return Run{}, fmt.Errorf("%w: shard %s is given twice: %s and %s", ErrMergeMismatch, m.Shard, prev, dirs[i])
			}
			shardOf[m.Shard] = dirs[i]
		}
	}

	// The latest result of each cell (a resumed shard appends retries).
	var cells []results.CellResult
	from := map[string]string{} // cell ID -> directory
	for i, d := range dirs {
		all, err := results.Read(filepath.Join(d, "results.jsonl"))
		if err != nil {
			return Run{}, err
		}
		mine := map[string]bool{}
		for _, id := range mans[i].Cells {
			mine[id] = true
		}
		latest := map[string]int{}
		var order []string
		for j, c := range all {
			if !mine[c.ID] {
				return Run{}, fmt.Errorf("%w: %s: cell %s is in results.jsonl but not in its run.json", ErrMergeMismatch, d, c.ID)
			}
			if _, seen := latest[c.ID]; !seen {
				order = append(order, c.ID)
			}
			latest[c.ID] = j
		}
		for _, id := range order {
			if prev, dup := from[id]; dup {
				return Run{}, fmt.Errorf("%w: cell %s is in both %s and %s", ErrMergeMismatch, id, prev, d)
			}
			from[id] = d
			cells = append(cells, all[latest[id]])
		}
	}
	if len(cells) < first.MatrixCells && !opts.Partial {
		var missing []string
		for i, m := range mans {
			for _, id := range m.Cells {
				if _, ok := from[id]; !ok {
					missing = append(missing, id+" ("+dirs[i]+")")
				}
			}
		}
		why := fmt.Sprintf("%d of the matrix's %d cells have results", len(cells), first.MatrixCells)
		if n := shardCount(first.Shard); n > 0 && len(shardOf) < n {
			why += fmt.Sprintf("; %d of its %d shards are given", len(shardOf), n)
		}
		if len(missing) > 0 {
			why += "; unfinished: " + strings.Join(missing, ", ")
		}
		return Run{}, fmt.Errorf("%w: incomplete: %s (--partial merges what there is)", ErrMergeMismatch, why)
	}

	// Evidence bundles, logs and scenarios.
	if err := os.MkdirAll(filepath.Join(opts.Out, "evidence"), 0o755); err != nil {
		return Run{}, fmt.Errorf("report: %w", err)
	}
	run := Run{ToolVersion: first.ToolVersion, Lab: mergedLab(mans), Logs: map[string]string{}, Scenarios: map[string]*scenarios.Scenario{}}
	var end time.Time
	for _, m := range mans {
		if run.Started.IsZero() || m.Started.Before(run.Started) {
			run.Started = m.Started
		}
		for h, why := range m.Quarantined { // a host two shards quarantined keeps both reasons
			if run.Quarantined == nil {
				run.Quarantined = map[string]string{}
			}
			if prev := run.Quarantined[h]; prev != "" && prev != why {
				why = prev + "; " + why
			}
			run.Quarantined[h] = why
		}
		if e := m.Started.Add(m.Duration); e.After(end) {
			end = e
		}
	}
	run.Duration = end.Sub(run.Started)
	run.ID = "merged-" + run.Started.UTC().Format("20060102T150405Z") + "-" + first.Matrix[:8]
	for i := range cells {
		c := &cells[i]
		if c.Evidence == "" {
			continue
		}
		src, dst := filepath.Join(from[c.ID], c.Evidence), filepath.Join(opts.Out, c.Evidence)
		if err := copyDir(src, dst); err != nil {
			return Run{}, fmt.Errorf("report: evidence of %s: %w", c.ID, err)
		}
		if b, err := os.ReadFile(filepath.Join(dst, evidence.FileLog)); err == nil {
			run.Logs[c.ID] = string(b)
		}
		// The events with their level and message, as a fresh run's report
		// shows them (results.jsonl keeps only their IDs).
		var evs []ops.Event
		if b, err := os.ReadFile(filepath.Join(dst, evidence.FileEvents)); err == nil && json.Unmarshal(b, &evs) == nil && len(evs) > 0 {
			c.Observed.Run = &ops.MsiRun{Log: run.Logs[c.ID], Events: evs}
		}
		if _, ok := run.Scenarios[c.Scenario]; !ok {
			if b, err := os.ReadFile(filepath.Join(dst, evidence.FileScenario)); err == nil {
				var sc scenarios.Scenario
				if json.Unmarshal(b, &sc) == nil {
					run.Scenarios[c.Scenario] = &sc
				}
			}
		}
	}
	run.Cells = cells

	w, err := results.OpenWriter(filepath.Join(opts.Out, "results.jsonl"), false)
	if err != nil {
		return Run{}, err
	}
	for _, c := range cells {
		if err := w.Append(c); err != nil {
			w.Close()
			return Run{}, err
		}
	}
	if err := w.Close(); err != nil {
		return Run{}, fmt.Errorf("report: %w", err)
	}
	man := results.Manifest{ToolVersion: first.ToolVersion, Matrix: first.Matrix, MatrixCells: first.MatrixCells, Lab: run.Lab,
		Started: run.Started, Duration: run.Duration, Quarantined: run.Quarantined}
	for _, c := range cells {
		man.Cells = append(man.Cells, c.ID)
	}
	slices.Sort(man.Cells)
	if err := results.WriteManifest(opts.Out, man); err != nil {
		return Run{}, err
	}
	return run, WriteAll(opts.Out, run)
}

// shardCount is n of "i/n" (0 when not a shard).
func shardCount(shard string) int {
	if sh, err := scenarios.ParseShard(shard); err == nil {
		return sh.Count
	}
	return 0
}

// mergedLab is the shards' lab, or their labs joined when they differ.
func mergedLab(mans []results.Manifest) string {
	var labs []string
	for _, m := range mans {
		if m.Lab != "" && !slices.Contains(labs, m.Lab) {
			labs = append(labs, m.Lab)
		}
	}
	return strings.Join(labs, ", ")
}

// copyDir copies a directory of regular files (an evidence bundle).
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
