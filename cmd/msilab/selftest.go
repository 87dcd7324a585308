package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/simlab"
	"github.com/msilab/msilab/scenarios/runner"
	"github.com/msilab/msilab/selftest"
	"github.com/msilab/msilab/win"
)

const selftestUsage = `Usage:
  msilab selftest [--os PROFILE,...]                 the embedded simulated lab (default: every OS profile)
  msilab selftest --lab lab.yaml [--host NAME,...]
  msilab selftest --endpoint URL --user USER --os PROFILE [endpoint flags]

Runs every op of the catalog once against each host, in an order that is
safe on a real host, and undoes each change: a registry key and a folder of
its own (created, read, changed and removed), the execution mutex (held,
then released), msiserver (its start type written as it is, started,
stopped, unregistered and registered again, then put back as it was), and
the built-in permachine package (installed, then removed). The snapshot
ops answer NotSupported on a real host and the Hyper-V ops name a VM that
does not exist: both are expected. It then reads the host again and
compares it with its baseline. The report (op, result, duration, notes;
--format json for the same as JSON) is what to attach to a bug. Exits 1
when an op fails or a host is not back at its baseline.

user.ensure and user.logon need the lab user's password: the host's
standard_password_env in lab.yaml, or --standard-password-env; without it
they are skipped. On the embedded lab the user is made first, as msilab run
does.

Flags:
`

func selftestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab selftest", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), selftestUsage); fs.PrintDefaults() }
	invPath := fs.String("lab", "", "lab inventory (lab.yaml); default: the embedded simulated lab")
	only := fs.String("host", "", "with --lab: test only these hosts, comma-separated")
	osProfile := fs.String("os", "", "OS profiles of the embedded lab, comma-separated ("+strings.Join(win.ProfileNames(), ", ")+
		"); with --endpoint, the host's")
	stdUser := fs.String("standard-user", ops.DefaultStandardUser, "with --endpoint: the lab's standard user")
	stdPasswordEnv := fs.String("standard-password-env", "", "environment variable holding the lab user's password (with --endpoint, or to override lab.yaml's)")
	format := fs.String("format", "text", "output: text (a table per host) or json (the reports)")
	var ef endpointFlags
	ef.register(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 || (*invPath != "" && ef.endpoint != "") {
		return usagef("msilab selftest takes --lab FILE, --endpoint URL or neither (the embedded lab), and no arguments")
	}
	if *format != "text" && *format != "json" {
		return usagef("--format must be text or json")
	}
	if *only != "" && *invPath == "" {
		return usagef("--host needs --lab")
	}
	hosts, embedded, closeAll, err := selftestHosts(*invPath, splitList(*only), ef, *osProfile, *stdUser)
	if err != nil {
		return err
	}
	defer closeAll()
	var reports []*selftest.Report
	failed := false
	for _, h := range hosts {
		rep, err := selftestHost(ctx, h, embedded, *stdPasswordEnv)
		if err != nil {
			return err
		}
		reports = append(reports, rep)
		failed = failed || !rep.Passed
		if *format == "text" {
			if err := rep.Print(stdout); err != nil {
				return err
			}
			fmt.Fprintln(stdout)
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	}
	if failed {
		return &exitCodeError{code: 1}
	}
	return nil
}

// selftestHosts are the hosts to test: the embedded lab's (one per OS
// profile asked for), the lab's, or the endpoint's.
func selftestHosts(invPath string, only []string, ef endpointFlags, osProfile, stdUser string) ([]*lab.Host, bool, func(), error) {
	if invPath != "" || ef.endpoint != "" {
		hosts, err := doctorHosts(invPath, only, ef, osProfile, stdUser)
		if err != nil {
			return nil, false, nil, err
		}
		return hosts, false, func() {
			for _, h := range hosts {
				h.Close()
			}
		}, nil
	}
	profiles := splitList(osProfile)
	for _, p := range profiles {
		if _, err := win.LookupProfile(p); err != nil {
			return nil, false, nil, usagef("--os: %v", err)
		}
	}
	sl, err := simlab.Start(simlab.Options{OS: profiles})
	if err != nil {
		return nil, false, nil, err
	}
	return sl.Hosts(), true, sl.Close, nil
}

// selftestHost prepares a host (the test package; on the embedded lab,
// the lab user too) and runs the self-test on it.
func selftestHost(ctx context.Context, h *lab.Host, embedded bool, passwordEnv string) (*selftest.Report, error) {
	s, err := h.Session(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", selftest.ErrHost, h.Spec.Name, err)
	}
	password := ""
	switch env := firstNonEmpty(passwordEnv, h.Spec.StandardPasswordEnv); {
	case env != "":
		if password = os.Getenv(env); password == "" {
			return nil, usagef("host %s: the environment variable %s (the lab user's password) is not set", h.Spec.Name, env)
		}
	case embedded:
		// As msilab run prepares a host: a fresh password, set on the lab user.
		if password, err = runner.StandardPassword(h.Spec); err != nil {
			return nil, err
		}
		res, err := s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: h.Spec.StandardUser, Password: password})})
		if err == nil {
			err = res[0].Decode(nil)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: the lab user: %w", selftest.ErrHost, h.Spec.Name, err)
		}
	}
	if err := selftest.Prepare(ctx, s); err != nil {
		return nil, fmt.Errorf("%s: %w", h.Spec.Name, err)
	}
	rep, err := selftest.Run(ctx, s, h.Spec.Name, selftest.Options{AdminUser: h.Endpoint.User, StandardUser: h.Spec.StandardUser,
		StandardPassword: password})
	var opErr *ops.Error
	if errors.As(err, &opErr) && opErr.Code == ops.CodeNotSupported {
		return nil, fmt.Errorf("%s: %w (msilab doctor says how to fix it)", h.Spec.Name, err)
	}
	return rep, err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
