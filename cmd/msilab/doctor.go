package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/msilab/msilab/doctor"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

const doctorUsage = `Usage:
  msilab doctor --lab lab.yaml [--host NAME,...]
  msilab doctor --endpoint URL --user USER --os PROFILE [endpoint flags]

Checks every host before a run, one row per check (ok, warning or failed)
with the reason and the command that fixes it: the endpoint, TLS and its
certificate pin, authentication and an elevated administrator token,
PowerShell 5.1 in FullLanguage mode and the op module, WinRM's limits,
the lab user and its logon rights, msiserver's configuration, every
variant of every fault, pending installs and reboots, free disk space,
the clock, the snapshot, and the build against the OS profile. It only
reads the hosts (its op batches install msilab's op module where it is
missing, as every msilab command does). msilab run makes the same checks
before a host's first cell and refuses a host that fails them. Exits 1
when a host cannot run cells.

Flags:
`

func doctorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), doctorUsage); fs.PrintDefaults() }
	invPath := fs.String("lab", "", "lab inventory (lab.yaml)")
	only := fs.String("host", "", "check only these hosts of the lab, comma-separated")
	osProfile := fs.String("os", "", "with --endpoint: the host's OS profile ("+strings.Join(win.ProfileNames(), ", ")+")")
	stdUser := fs.String("standard-user", ops.DefaultStandardUser, "with --endpoint: the lab's standard user")
	format := fs.String("format", "text", "output: text (a table) or json (the rows)")
	var ef endpointFlags
	ef.register(fs)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 || (*invPath == "") == (ef.endpoint == "") {
		return usagef("msilab doctor needs --lab FILE or --endpoint URL, and no arguments")
	}
	if *format != "text" && *format != "json" {
		return usagef("--format must be text or json")
	}
	hosts, err := doctorHosts(*invPath, splitList(*only), ef, *osProfile, *stdUser)
	if err != nil {
		return err
	}
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	rows := make([][]doctor.Row, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i] = doctor.Check(ctx, h, doctor.Options{})
		}()
	}
	wg.Wait()
	var all []doctor.Row
	var failed []string
	for i, r := range rows {
		all = append(all, r...)
		if doctor.AnyFailed(r) {
			failed = append(failed, hosts[i].Spec.Name)
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(all); err != nil {
			return err
		}
	} else {
		if err := doctor.Print(stdout, all); err != nil {
			return err
		}
		if len(failed) == 0 {
			fmt.Fprintf(stdout, "\n%d host(s) ready to run cells\n", len(hosts))
		} else {
			fmt.Fprintf(stdout, "\n%d of %d host(s) cannot run cells: %s\n", len(failed), len(hosts), strings.Join(failed, ", "))
		}
	}
	if len(failed) > 0 {
		return &exitCodeError{code: 1}
	}
	return nil
}

// doctorHosts are the lab's hosts (hypervisors aside), or the one the
// endpoint flags describe.
func doctorHosts(invPath string, only []string, ef endpointFlags, osProfile, stdUser string) ([]*lab.Host, error) {
	if invPath != "" {
		inv, err := lab.LoadInventory(invPath, win.ProfileNames())
		if err != nil {
			return nil, err
		}
		for _, name := range only {
			if spec, ok := inv.Host(name); !ok || spec.Role == lab.RoleHypervisor {
				return nil, usagef("--host: %s has no host %q that runs cells", invPath, name)
			}
		}
		return inv.Connect(func(spec lab.HostSpec) bool { return len(only) == 0 || contains(only, spec.Name) })
	}
	if _, err := win.LookupProfile(osProfile); err != nil {
		return nil, usagef("--os: %v", err)
	}
	ep, err := ef.toEndpoint()
	if err != nil {
		return nil, err
	}
	spec := lab.HostSpec{Name: ep.Host, OS: osProfile, Endpoint: ep.URL(), User: ep.User, StandardUser: stdUser,
		Snapshot: lab.SnapshotSpec{Driver: "none", Name: "msilab-clean"}}
	return []*lab.Host{lab.NewHost(spec, ep)}, nil
}
