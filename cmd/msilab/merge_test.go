package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/msilab/msilab/scenarios/report"
	"github.com/msilab/msilab/scenarios/results"
)

// mergeArgs is a small matrix: 24 cells on two OS profiles.
var mergeArgs = []string{"run", "--os", "win11-24h2,server2022", "--only", "temp-acl-*,service-*,clean-host,disable-msi-*"}

func runTo(t *testing.T, dir string, extra ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append(append(append([]string{}, mergeArgs...), "--out", dir), extra...), &stdout, &stderr); err != nil {
		t.Fatalf("msilab run %v: %v\n%s", extra, err, stderr.String())
	}
}

// msilab report merge of a 3-shard run gives the unsharded run's reports,
// cell for cell. What is left out of the comparison, because it cannot be
// equal: the run's ID, start and duration, each cell's start and duration
// (and a snapshot revert's), and what depends on the simulated host's
// history (its clock and process IDs advance with every cell it ran, and
// a shard's host ran other cells before): the verbose log's text, the time
// and process/thread IDs of the "MSI (c) (pid:tid) [time]" prefix of log
// lines, the events' record IDs and times, and the client process ID
// events quote. The rerun's event details
// are not kept in results.jsonl nor in the evidence bundle, so a merged
// report (like any report from results.jsonl) has only their IDs.
func TestReportMergeEqualsUnsharded(t *testing.T) {
	root := t.TempDir()
	full := filepath.Join(root, "full")
	runTo(t, full)
	var shards []string
	for _, s := range []string{"1/3", "2/3", "3/3"} {
		d := filepath.Join(root, "shard"+s[:1])
		runTo(t, d, "--shard", s)
		shards = append(shards, d)
	}
	merged := filepath.Join(root, "merged")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"report", "merge", "--out", merged}, shards...), &stdout, &stderr); err != nil {
		t.Fatalf("merge: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "24 cells: 24 pass") {
		t.Errorf("merge said %q", stdout.String())
	}
	fullMan, _ := results.ReadManifest(full)
	fullCells, _ := results.Read(filepath.Join(full, "results.jsonl"))
	mergedCells, err := results.Read(filepath.Join(merged, "results.jsonl"))
	if err != nil || len(mergedCells) != len(fullCells) || len(fullCells) != fullMan.MatrixCells || len(fullCells) != 24 {
		t.Fatalf("merged %d cells, unsharded %d (matrix %d): %v", len(mergedCells), len(fullCells), fullMan.MatrixCells, err)
	}

	fullID, mergedID := runID(t, full), runID(t, merged)
	for _, name := range []string{report.FileJUnit, report.FileMarkdown} {
		a, b := normalize(t, full, name, fullID), normalize(t, merged, name, mergedID)
		if a != b {
			t.Errorf("%s differs:\n%s", name, firstDiff(a, b))
		}
	}
	// report.html: the page around the data (the grid, the counts) ...
	a, b := normalize(t, full, report.FileHTML, fullID), normalize(t, merged, report.FileHTML, mergedID)
	if pa, pb := pageOnly(a), pageOnly(b); pa != pb {
		t.Errorf("report.html's page differs:\n%s", firstDiff(pa, pb))
	}
	// ... and its data, cell for cell.
	ca, cb := htmlCells(t, a), htmlCells(t, b)
	if len(ca) != 24 || len(ca) != len(cb) {
		t.Fatalf("report.html: %d and %d cells", len(ca), len(cb))
	}
	for i := range ca {
		if ca[i] != cb[i] {
			t.Errorf("report.html cell %d differs:\n%s", i, firstDiff(ca[i], cb[i]))
		}
	}
	// The evidence bundles came along.
	for _, c := range mergedCells {
		if _, err := os.Stat(filepath.Join(merged, c.Evidence, "repro.ps1")); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
	// The comparison sees a difference: one cell's status changed.
	broken := strings.Replace(cb[3], `"status":"pass"`, `"status":"fail"`, 1)
	if broken == ca[3] {
		t.Fatal("the comparison cannot see a changed status")
	}
}

// Shards of different matrices, of different msilab versions, a shard given
// twice or a missing shard are refused, each with its reason, and nothing is
// written.
func TestReportMergeRefuses(t *testing.T) {
	root := t.TempDir()
	s1, s2, s3 := filepath.Join(root, "s1"), filepath.Join(root, "s2"), filepath.Join(root, "s3")
	runTo(t, s1, "--shard", "1/3")
	runTo(t, s2, "--shard", "2/3")
	other := filepath.Join(root, "other")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"run", "--os", "win11-24h2", "--only", "clean-host,service-*", "--shard", "3/3", "--out", other}, &stdout, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	runTo(t, s3, "--shard", "3/3")
	oldVersion := filepath.Join(root, "oldver")
	runTo(t, oldVersion, "--shard", "3/3")
	man, err := results.ReadManifest(oldVersion)
	if err != nil {
		t.Fatal(err)
	}
	man.ToolVersion = "v0.9.0"
	if err := results.WriteManifest(oldVersion, man); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"different matrix", []string{s1, s2, other}, "different matrices: " + s1 + " is a shard of matrix"},
		{"different version", []string{s1, s2, oldVersion}, "different msilab versions: " + s1 + " was written by msilab dev, " + oldVersion + " by msilab v0.9.0"},
		{"shard twice", []string{s1, s2, s2}, "shard 2/3 is given twice"},
		{"missing shard", []string{s1, s3}, "incomplete: "},
		{"not a run", []string{s1, root}, "no run.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(root, "merged-"+strings.ReplaceAll(tc.name, " ", "-"))
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"report", "merge", "--out", out}, tc.dirs...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.name != "not a run" && !errors.Is(err, report.ErrMergeMismatch) {
				t.Errorf("err %v is not ErrMergeMismatch", err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused merge wrote %s", out)
			}
		})
	}
	// The right three merge.
	if err := run(context.Background(), []string{"report", "merge", "--out", filepath.Join(root, "ok"), s1, s2, s3}, &stdout, &stderr); err != nil {
		t.Fatalf("merge: %v", err)
	}
}

func runID(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, report.FileMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimPrefix(first, "# msilab run ")
}

var (
	volatileAttr = regexp.MustCompile(` (time|timestamp)="[^"]*"`)
	volatileMeta = regexp.MustCompile(`started [^·]*· took [^·]*·|<dt>Started</dt><dd>[^<]*</dd></div><div><dt>Duration</dt><dd>[^<]*</dd>`)
	volatileJSON = regexp.MustCompile(`"(started|duration_ns|took_ns|record_id|time)":("[^"]*"|[0-9]+)`)
	// MSI (c) (04:0C) [09:00:00:266]: the process, thread and time of a log line.
	logPrefix = regexp.MustCompile(`MSI \(([cs])\) \([0-9A-F]+:[0-9A-F]+\) \[[0-9:]+\]`)
	clientPID = regexp.MustCompile(`Client Process Id: [0-9]+`)
)

// normalize reads a report and masks the run's ID, its start and duration,
// the cells' times, and log lines' process, thread and time.
func normalize(t *testing.T, dir, name, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), id, "RUN")
	s = volatileAttr.ReplaceAllString(s, ` $1="X"`)
	s = volatileMeta.ReplaceAllString(s, "META")
	s = volatileJSON.ReplaceAllString(s, `"$1":"X"`)
	s = clientPID.ReplaceAllString(s, "Client Process Id: PID")
	return logPrefix.ReplaceAllString(s, "MSI ($1) (P:T) [TIME]")
}

// pageOnly is report.html without its data script.
func pageOnly(s string) string {
	i := strings.Index(s, `<script type="application/json" id="msilab-data">`)
	j := strings.Index(s[i:], "</script>")
	return s[:i] + s[i+j:]
}

// htmlCells are report.html's cells (its data script), each as JSON
// without the log text and the event details (host history).
func htmlCells(t *testing.T, page string) []string {
	t.Helper()
	i := strings.Index(page, `id="msilab-data">`) + len(`id="msilab-data">`)
	j := strings.Index(page[i:], "</script>")
	var data struct {
		Cells []map[string]any `json:"cells"`
	}
	if err := json.Unmarshal([]byte(page[i:i+j]), &data); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range data.Cells {
		delete(c, "log")
		delete(c, "rerun_event_details")
		b, _ := json.Marshal(c)
		out = append(out, string(b))
	}
	return out
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	from := max(0, n-120)
	return "  " + a[from:min(len(a), n+200)] + "\n  vs\n  " + b[from:min(len(b), n+200)]
}
