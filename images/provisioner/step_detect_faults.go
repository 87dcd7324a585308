package provisioner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// stepDetectFaults probes every variant of every registered fault and runs
// its Detect: an image where any is present is not a clean lab host, and the build
// fails naming each one with what Detect saw. The probes are the image's
// baseline, recorded in the manifest.
type stepDetectFaults struct{}

func (s *stepDetectFaults) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess, cfg := uiOf(state), sessionOf(state), configOf(state)
	info := state.Get(keyHostInfo).(ops.HostInfo)
	t := faults.Target{AdminUser: bareUser(info.User), StandardUser: cfg.StandardUser, Context: ops.ContextAdminElevated}
	names := faults.Names()
	// An install that is not msilab's (an update's MSI, servicing) holds
	// Global\_MSIExecute as the mutex-held fault does: wait for it first,
	// with a bound, and say which it was.
	waited, err := waitOtherInstall(ctx, sess, cfg.InstallWaitTimeout, ui.Message)
	if err != nil {
		return halt(state, err)
	}
	if waited != "" {
		ui.Message(waited)
	}
	ui.Say(fmt.Sprintf("Checking that no fault is present (%d faults: %s)...", len(names), strings.Join(names, ", ")))
	baseline, err := detectFaults(ctx, sess, t, names)
	if err != nil {
		return halt(state, err)
	}
	for _, f := range baseline.Faults {
		switch {
		case f.Present:
			ui.Message(fmt.Sprintf("%s %s: present, a negative control (installs succeed): %s", f.Name, f.Params, f.Evidence))
		default:
			ui.Message(fmt.Sprintf("%s %s: absent (%s)", f.Name, f.Params, f.Evidence))
		}
	}
	state.Put(keyBaseline, baseline)
	return multistep.ActionContinue
}

func (s *stepDetectFaults) Cleanup(multistep.StateBag) {}

// negativeControl reports a registered fault whose presence does not make
// installs fail: its "fault" is a host's normal state (service-stopped:
// msiserver is a demand-start service, stopped until a client needs it).
// Its probe is recorded in the baseline; its presence does not fail the build.
func negativeControl(name string) bool {
	info, err := faults.Lookup(name)
	return err == nil && info.NegativeControl
}

// ErrNotClean is matched by *NotCleanError.
var ErrNotClean = errors.New("msilab provisioner: the image is not clean")

// NotCleanError is a host where faults are present, or where they could
// not be checked.
type NotCleanError struct {
	Found []Finding
	// Unchecked are the faults whose probe or Detect failed.
	Unchecked []Finding
}

// Finding is one fault (with the variant's parameters, when it has
// several) and what Detect saw (or why it could not look).
type Finding struct {
	Fault    string
	Evidence string
	Params   string
}

func (f Finding) String() string {
	if f.Params == "" || f.Params == "{}" {
		return f.Fault + ": " + f.Evidence
	}
	return f.Fault + ": " + f.Evidence + " (" + f.Params + ")"
}

func (e *NotCleanError) Error() string {
	var b strings.Builder
	b.WriteString("the image is not clean: ")
	if len(e.Found) > 0 {
		fmt.Fprintf(&b, "%d fault(s) present:", len(e.Found))
		for _, f := range e.Found {
			fmt.Fprintf(&b, "\n  - %s", f)
		}
	}
	if len(e.Unchecked) > 0 {
		if len(e.Found) > 0 {
			b.WriteString("\nand ")
		}
		fmt.Fprintf(&b, "%d fault(s) could not be checked:", len(e.Unchecked))
		for _, f := range e.Unchecked {
			fmt.Fprintf(&b, "\n  - %s", f)
		}
	}
	return b.String()
}

func (e *NotCleanError) Unwrap() error { return ErrNotClean }

// detectFaults checks every variant of every named fault (each one's
// parameters that break something else: temp-acl's three ACLs,
// disable-msi 1 and 2...), in two batches for all of them
// (faults.DetectAll), and runs each Detect. It returns the baseline, or a
// *NotCleanError.
func detectFaults(ctx context.Context, s lab.Session, t faults.Target, names []string) (manifest.Baseline, error) {
	baseline := manifest.Baseline{AdminUser: t.AdminUser, StandardUser: t.StandardUser, Context: t.Context}
	ps, err := faults.DetectAll(ctx, s.RunBatch, names, []faults.Target{t})
	if err != nil {
		return baseline, fmt.Errorf("probe the faults: %w", err)
	}
	notClean := &NotCleanError{}
	for _, p := range ps {
		if p.Err != nil {
			notClean.Unchecked = append(notClean.Unchecked, Finding{Fault: p.Fault, Evidence: p.Err.Error(), Params: string(p.Params)})
			continue
		}
		if p.Present && !negativeControl(p.Fault) {
			notClean.Found = append(notClean.Found, Finding{Fault: p.Fault, Evidence: p.Evidence, Params: string(p.Params)})
		}
		baseline.Faults = append(baseline.Faults, manifest.FaultState{Name: p.Fault, Params: p.Params,
			Probe: p.Probe, Present: p.Present, Evidence: p.Evidence})
	}
	if len(notClean.Found) > 0 || len(notClean.Unchecked) > 0 {
		return baseline, notClean
	}
	return baseline, nil
}

// bareUser is a user name without its HOST\ or @domain part.
func bareUser(user string) string {
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	return user
}
