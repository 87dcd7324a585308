package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/msilab/msilab/scenarios/report"
)

const reportMergeUsage = `Usage:
  msilab report merge [--out DIR] [--partial] DIR...

Merges the output directories of "msilab run --shard i/n" runs (their
run.json, results.jsonl and evidence bundles) into one: results.jsonl,
run.json, evidence/, report.html, junit.xml and summary.md in --out. It
refuses directories of different matrices or msilab versions, a shard
given twice, and (without --partial) shards that leave cells out, and
says why. Exits 1 if any merged cell missed its expectation.

Flags:
`

func reportCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "merge" {
		if len(args) == 1 && isHelp(args[0]) {
			fmt.Fprint(stdout, reportMergeUsage)
			return nil
		}
		return usagef("usage: msilab report merge [--out DIR] [--partial] DIR...")
	}
	fs := flag.NewFlagSet("msilab report merge", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), reportMergeUsage); fs.PrintDefaults() }
	out := fs.String("out", "msilab-merged", "output directory of the merged reports")
	partial := fs.Bool("partial", false, "merge even when the shards leave some of the matrix's cells out")
	if err := parseFlags(fs, args[1:], stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("msilab report merge: no output directories given")
	}
	run, err := report.Merge(fs.Args(), report.MergeOptions{Out: *out, Partial: *partial})
	if err != nil {
		return err
	}
	n := report.Count(run.Cells)
	fmt.Fprintf(stdout, "merged %d directories: %d cells: %d pass, %d fail, %d infra-error, %d skipped\n",
		fs.NArg(), n.Total, n.Pass, n.Fail, n.Infra, n.Skip)
	fmt.Fprintf(stdout, "reports: %s, %s, %s, %s\n", filepath.Join(*out, report.FileHTML), filepath.Join(*out, report.FileJUnit),
		filepath.Join(*out, report.FileMarkdown), filepath.Join(*out, "results.jsonl"))
	if n.Fail > 0 || n.Infra > 0 || n.Other > 0 {
		return &exitCodeError{code: 1}
	}
	return nil
}
