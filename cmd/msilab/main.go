// Command msilab is the Windows Installer fault lab: it drives real or
// simulated Windows hosts over WinRM.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var code *exitCodeError
		if errors.As(err, &code) {
			os.Exit(max(1, code.code&0xff))
		}
		var u *usageError
		if errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, "msilab:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "msilab:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line itself (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// parseFlags parses a command's flags. Asked for help (-h, -help,
// --help), it prints the command's usage on stdout and returns
// flag.ErrHelp, which run reports as success; a mistake prints the
// message and the usage on stderr and is a usage error.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var msg bytes.Buffer
	fs.SetOutput(&msg)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = stdout.Write(msg.Bytes())
		return err
	}
	_, _ = stderr.Write(msg.Bytes())
	if err != nil {
		return usagef("%v", err)
	}
	return nil
}

const usage = `msilab — a reproducible lab for Windows Installer failures

Usage:
  msilab run [flags]          run the scenario matrix (default: built-in catalog, embedded simulated lab)
  msilab profile capture [endpoint flags]   read a host into an OS profile file the simulator can run (--profile FILE)
  msilab report merge DIR...  merge the outputs of --shard i/n runs into one set of reports
  msilab scenarios list|validate|explain   the scenario catalog and files
  msilab faults list|show NAME             the faults msilab can inject
  msilab doctor --lab lab.yaml             check every host before a run: one row per check, with its fix
  msilab selftest [--lab lab.yaml]         run every op once on each host, undo it, check the host is back (report for a bug)
  msilab revert --journal FILE             restore hosts after a run was killed
  msilab revert --snapshot --lab lab.yaml  revert hosts to their clean snapshot (their snapshot driver)
  msilab sim serve [flags]    run a simulated Windows host that speaks WinRM
  msilab sim rules [--json]   list the simulated Windows Installer's rules and their evidence
  msilab exec [flags] CMD...  run a cmd.exe command line on a host
  msilab op [flags] OP [ARGS] run one op (or a batch) against a host, print JSON
  msilab upload [flags] FILE  copy a file or a built-in test package to a host (skipped if unchanged)
  msilab diagnose --log FILE | --host [flags]   name the causes of a failed install, and the scenario that reproduces each
  msilab remediate [flags] [--dry-run]          fix a host's causes (--dry-run: print the plan and its PowerShell)
  msilab version

Run "msilab COMMAND -h" for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	defer func() {
		if errors.Is(err, flag.ErrHelp) {
			err = nil // help was asked for and printed: not an error
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	switch args[0] {
	case "sim":
		switch {
		case len(args) >= 2 && args[1] == "serve":
			return simServe(ctx, args[2:], stdout, stderr)
		case len(args) >= 2 && args[1] == "rules":
			return simRules(args[2:], stdout, stderr)
		case len(args) == 2 && isHelp(args[1]):
			fmt.Fprintln(stdout, "Usage: msilab sim serve [flags] | msilab sim rules [--json]")
			return nil
		}
		return usagef("usage: msilab sim serve [flags] | msilab sim rules [--json]")
	case "exec":
		return execCmd(ctx, args[1:], stdout, stderr)
	case "op":
		return opCmd(ctx, args[1:], stdout, stderr)
	case "upload":
		return uploadCmd(ctx, args[1:], stdout, stderr)
	case "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case "profile":
		return profileCmd(ctx, args[1:], stdout, stderr)
	case "report":
		return reportCmd(args[1:], stdout, stderr)
	case "scenarios":
		return scenariosCmd(ctx, args[1:], stdout, stderr)
	case "faults":
		return faultsCmd(args[1:], stdout, stderr)
	case "doctor":
		return doctorCmd(ctx, args[1:], stdout, stderr)
	case "selftest":
		return selftestCmd(ctx, args[1:], stdout, stderr)
	case "revert":
		return revertCmd(ctx, args[1:], stdout, stderr)
	case "diagnose":
		return diagnoseCmd(ctx, args[1:], stdout, stderr)
	case "remediate":
		return remediateCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "msilab", version)
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usagef("unknown command %q", args[0])
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"
