// Package evidence writes a cell's evidence bundle: the directory that
// holds everything one cell produced and needs to be repeated
// (docs/architecture.md, "Records") — the cell result, the expectation as
// checked, the verbose log as msiexec wrote it, the events, the state before
// the faults and after the revert, the exact op batches sent, the scenario,
// and repro.ps1, a standalone script that does the same on a real machine by
// hand.
package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// The files of a bundle.
const (
	FileCell        = "cell.json"        // the CellResult
	FileExpectation = "expectation.json" // the expectation after overrides, as checked
	FileLog         = "msiexec.log"      // the verbose log, as it came (CRLF line ends)
	FileEvents      = "events.json"      // the MsiInstaller events of the run
	FileStateBefore = "state-before.txt" // what the faults touch, before them
	FileStateAfter  = "state-after.txt"  // the same, after the revert
	FileBatches     = "batches.json"     // the op batches sent, in order
	FileScenario    = "scenario.json"    // the scenario (written when known)
	FileRepro       = "repro.ps1"        // the standalone repro script
)

// Files lists the files Write writes, in order.
func Files() []string {
	return []string{FileCell, FileExpectation, FileLog, FileEvents, FileStateBefore, FileStateAfter,
		FileBatches, FileScenario, FileRepro}
}

// ErrNoCell is returned by Write and Repro for a nil cell.
var ErrNoCell = errors.New("evidence: no cell result")

// utf8BOM starts repro.ps1: Windows PowerShell 5.1 reads a script without
// a byte order mark in the ANSI code page.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Write creates dir and writes the cell's bundle into it. sc may be nil
// (scenario.json is then left out, and the repro header has no summary);
// run is the install the cell checked, nil when it never ran (for an
// infra-error or a skipped cell), in which case the cell's Observed.Run,
// then its Observed.Log, are used. Everything is built before anything is
// written, so an error leaves no half-written bundle behind.
func Write(dir string, c *results.CellResult, sc *scenarios.Scenario, run *ops.MsiRun) error {
	if c == nil {
		return ErrNoCell
	}
	if run == nil {
		run = c.Observed.Run
	}
	log, events := c.Observed.Log, []ops.Event{}
	if run != nil {
		log = run.Log
		if run.Events != nil {
			events = run.Events
		}
	}
	batches := c.Record.Batches
	if batches == nil {
		batches = [][]ops.Op{}
	}
	repro, err := Repro(c, sc)
	if err != nil {
		return err
	}

	type file struct {
		name string
		data []byte
	}
	var out []file
	add := func(name string, data []byte) { out = append(out, file{name, data}) }
	for _, j := range []struct {
		name string
		v    any
	}{
		{FileCell, c},
		{FileExpectation, c.Expected},
		{FileEvents, events},
		{FileBatches, batches},
	} {
		data, err := indentJSON(j.v)
		if err != nil {
			return fmt.Errorf("evidence: %s: %w", j.name, err)
		}
		add(j.name, data)
	}
	add(FileLog, []byte(log))
	add(FileStateBefore, lines(c.StateBefore))
	add(FileStateAfter, lines(c.StateAfter))
	if sc != nil {
		data, err := indentJSON(sc)
		if err != nil {
			return fmt.Errorf("evidence: %s: %w", FileScenario, err)
		}
		add(FileScenario, data)
	}
	add(FileRepro, append(append([]byte{}, utf8BOM...), repro...))

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	for _, f := range out {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
	}
	return nil
}

// indentJSON is v as indented JSON with a final newline, without the HTML
// escapes (a log line quoting "<" stays readable).
func indentJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// lines joins state lines, one per line ("" for none).
func lines(l []string) []byte {
	if len(l) == 0 {
		return nil
	}
	return []byte(strings.Join(l, "\n") + "\n")
}
