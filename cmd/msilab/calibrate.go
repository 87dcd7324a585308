package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim/simlab"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/calibrate"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/scenarios/runner"
	"github.com/msilab/msilab/win"
)

// calibrationDir is where the simulated twins' run goes, inside --out.
const calibrationDir = "calibration-sim"

// calibration is msilab run --calibrate's simulated side, and the
// comparison the lab's run fills in.
type calibration struct {
	sim     []results.CellResult
	simDesc string
	cals    map[string]*results.Calibration
}

// simulateTwins runs the cells on simulated hosts of the lab hosts' OS
// profiles: a host's profile_file (a captured profile), else the
// built-in profile its os: names.
func simulateTwins(ctx context.Context, pool *lab.Pool, cells []scenarios.Cell, f runFlags, progress io.Writer, isTerm bool, width int) (*calibration, error) {
	byOS := map[string]win.Profile{}
	from := map[string]string{}
	var order []string
	for _, h := range pool.Hosts() {
		var p win.Profile
		var err error
		src := "built-in"
		if h.Spec.ProfileFile != "" {
			src = h.Spec.ProfileFile
			if p, err = win.LoadProfileFile(h.Spec.ProfileFile); err == nil && p.Name != h.Spec.OS {
				err = fmt.Errorf("host %s: profile_file %s is a profile of %s, not of its os %s", h.Spec.Name, src, p.Name, h.Spec.OS)
			}
		} else {
			p, err = win.LookupProfile(h.Spec.OS)
		}
		if err != nil {
			return nil, fmt.Errorf("--calibrate: %w", err)
		}
		if prev, ok := from[h.Spec.OS]; ok {
			if prev != src {
				return nil, fmt.Errorf("--calibrate: the hosts of %s name different profiles (%s and %s): one simulated host stands for them all", h.Spec.OS, prev, src)
			}
			continue
		}
		from[h.Spec.OS] = src
		byOS[h.Spec.OS] = p
		order = append(order, h.Spec.OS)
	}
	var profs []win.Profile
	var desc []string
	for _, os := range order {
		profs = append(profs, byOS[os])
		desc = append(desc, os+" ("+from[os]+")")
	}
	sl, err := simlab.Start(simlab.Options{Profiles: profs})
	if err != nil {
		return nil, fmt.Errorf("--calibrate: %w", err)
	}
	defer sl.Close()
	out := filepath.Join(f.out, calibrationDir)
	if progress != nil {
		fmt.Fprintf(progress, "msilab: --calibrate: first the %d cells on simulated hosts of the same profiles, output in %s\n", len(cells), out)
	}
	sum, err := runner.Run(ctx, lab.NewPool(sl.Hosts()), cells, runner.Options{Out: out, Parallel: len(sl.Hosts()), CellTimeout: f.cellTimeout,
		ToolVersion: version, Lab: "simulated twins of " + f.lab, Progress: progress, Terminal: isTerm, TermWidth: width, Remediate: f.remediate})
	if sum == nil {
		return nil, fmt.Errorf("--calibrate: the simulated run: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("--calibrate: the simulated run: %w", err)
	}
	if progress != nil {
		fmt.Fprintf(progress, "msilab: --calibrate: now the same cells on %s\n", f.lab)
	}
	return &calibration{sim: sum.Cells, simDesc: "simulated hosts of the same OS profiles: " + strings.Join(desc, ", ")}, nil
}

// hook compares the lab's finished cells with the simulated ones, for the
// HTML report's calibration column (nil without --calibrate).
func (c *calibration) hook() func([]results.CellResult) map[string]*results.Calibration {
	if c == nil {
		return nil
	}
	return func(cells []results.CellResult) map[string]*results.Calibration {
		c.cals = calibrate.Compare(cells, c.sim)
		return c.cals
	}
}

// write writes calibration.json and calibration.md, says what they found,
// and returns how many cells disagree.
func (c *calibration) write(out, labName string, stdout io.Writer) (int, error) {
	rep := calibrate.Summarize(labName, c.simDesc, c.cals)
	if err := calibrate.Write(out, rep); err != nil {
		return 0, err
	}
	fmt.Fprintf(stdout, "calibration: %d of %d compared cells disagree with the simulator (%d not compared): %s, %s\n", rep.Disagree, rep.Compared,
		len(rep.NotCompared), filepath.Join(out, calibrate.FileMarkdown), filepath.Join(out, calibrate.FileJSON))
	for _, r := range rep.Rules {
		fmt.Fprintf(stdout, "  rule %s [%s]: %d disagreeing cell(s)\n", r.ID, r.Label, len(r.Cells))
	}
	return rep.Disagree, nil
}
