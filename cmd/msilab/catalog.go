package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/scenarios"
)

const scenariosUsage = `Usage:
  msilab scenarios list [--scenarios PATHS]       the scenarios, one line each
  msilab scenarios validate PATH...               check scenario files (errors with file:line)
  msilab scenarios explain [--scenarios PATHS] NAME   what each cell of NAME does, op by op
`

func scenariosCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, scenariosUsage)
		return usagef("msilab scenarios needs list, validate or explain")
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, scenariosUsage)
		return nil
	}
	fs := flag.NewFlagSet("msilab scenarios "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), scenariosUsage); fs.PrintDefaults() }
	paths := fs.String("scenarios", "", "scenario files or directories, comma-separated (default: the built-in catalog)")
	if err := parseFlags(fs, args[1:], stdout, stderr); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		scs, err := loadScenarios(*paths)
		if err != nil {
			return err
		}
		for _, sc := range scs {
			var fl []string
			for _, f := range sc.Faults {
				fl = append(fl, f.Type)
			}
			if len(fl) == 0 {
				fl = []string{"no fault"}
			}
			fmt.Fprintf(stdout, "%-44s exit %-5d %-9s %-28s %s\n", sc.Name, sc.Expect.ExitCode, sc.Package, strings.Join(fl, "+"), sc.Summary)
		}
		return nil
	case "validate":
		if fs.NArg() == 0 {
			return usagef("msilab scenarios validate needs files or directories")
		}
		scs, err := loadScenarios(strings.Join(fs.Args(), ","))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d scenarios valid\n", len(scs))
		return nil
	case "explain":
		if fs.NArg() != 1 {
			return usagef("msilab scenarios explain needs one scenario name")
		}
		scs, err := loadScenarios(*paths)
		if err != nil {
			return err
		}
		var names []string
		for _, sc := range scs {
			if sc.Name == fs.Arg(0) {
				return scenarios.Explain(stdout, sc)
			}
			names = append(names, sc.Name)
		}
		return usagef("no scenario %q (known: %s)", fs.Arg(0), strings.Join(names, ", "))
	}
	fmt.Fprint(stderr, scenariosUsage)
	return usagef("unknown scenarios command %q", args[0])
}

func faultsCmd(args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 1 && args[0] == "list":
		for _, n := range faults.Names() {
			info, _ := faults.Lookup(n)
			fmt.Fprintf(stdout, "%-26s %s\n", n, info.Summary)
		}
		return nil
	case len(args) == 2 && args[0] == "show":
		info, err := faults.Lookup(args[1])
		if err != nil {
			return usagef("%v", err)
		}
		params, _ := faults.ParamsOf(args[1])
		fmt.Fprintf(stdout, "%s\n  %s\n\nevidence: %s\ninject:   %s\nrevert:   %s\n", info.Name, info.Summary, info.Evidence, info.Inject, info.Revert)
		if len(params) == 0 {
			fmt.Fprintln(stdout, "\nparameters: none")
		} else {
			fmt.Fprintln(stdout, "\nparameters:")
			for _, p := range params {
				fmt.Fprintf(stdout, "  %-10s %-8s default %-8s %s\n", p.Name, p.Type, p.Default, p.Doc)
			}
		}
		return nil
	}
	fmt.Fprintln(stderr, "Usage:\n  msilab faults list\n  msilab faults show NAME")
	return usagef("msilab faults needs list or show NAME")
}
