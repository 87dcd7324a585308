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

// stepDetectFaults probes every registered fault and runs its Detect: an
// image where any fault is present is not a clean lab host, and the build
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
			ui.Message(fmt.Sprintf("%s: present, a negative control (installs succeed): %s", f.Name, f.Evidence))
		default:
			ui.Message(fmt.Sprintf("%s: absent (%s)", f.Name, f.Evidence))
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

// Finding is one fault and what Detect saw (or why it could not look).
type Finding struct {
	Fault    string
	Evidence string
}

func (e *NotCleanError) Error() string {
	var b strings.Builder
	b.WriteString("the image is not clean: ")
	if len(e.Found) > 0 {
		fmt.Fprintf(&b, "%d fault(s) present:", len(e.Found))
		for _, f := range e.Found {
			fmt.Fprintf(&b, "\n  - %s: %s", f.Fault, f.Evidence)
		}
	}
	if len(e.Unchecked) > 0 {
		if len(e.Found) > 0 {
			b.WriteString("\nand ")
		}
		fmt.Fprintf(&b, "%d fault(s) could not be checked:", len(e.Unchecked))
		for _, f := range e.Unchecked {
			fmt.Fprintf(&b, "\n  - %s: %s", f.Fault, f.Evidence)
		}
	}
	return b.String()
}

func (e *NotCleanError) Unwrap() error { return ErrNotClean }

// detectFaults takes every named fault's probe, with its default
// parameters, in two batches for all of them (the probes, then the
// follow-up reads of the faults that have some, as faults.RunProbe does
// for one fault), and runs each Detect. It returns the baseline, or a
// *NotCleanError.
func detectFaults(ctx context.Context, s lab.Session, t faults.Target, names []string) (manifest.Baseline, error) {
	baseline := manifest.Baseline{AdminUser: t.AdminUser, StandardUser: t.StandardUser, Context: t.Context}
	fs := make([]faults.Fault, len(names))
	probes := make([]faults.Probe, len(names))
	failed := make([]error, len(names))
	for i, name := range names {
		info, err := faults.Lookup(name)
		if err != nil {
			return baseline, err
		}
		fs[i] = info.New()
	}

	// First batch: every fault's probe.
	if err := probeBatch(ctx, s, fs, probes, failed, func(i int) ([]ops.Op, error) { return fs[i].Probe(t), nil }); err != nil {
		return baseline, fmt.Errorf("probe the faults: %w", err)
	}
	// Second batch: the follow-up reads, computed from the first.
	err := probeBatch(ctx, s, fs, probes, failed, func(i int) ([]ops.Op, error) {
		if fp, ok := fs[i].(faults.FollowUpProber); ok {
			return fp.ProbeFollowUp(t, probes[i])
		}
		return nil, nil
	})
	if err != nil {
		return baseline, fmt.Errorf("probe the faults (follow-up reads): %w", err)
	}

	notClean := &NotCleanError{}
	for i, name := range names {
		var d faults.Detection
		err := failed[i]
		if err == nil {
			d, err = fs[i].Detect(t, probes[i])
		}
		if err != nil {
			notClean.Unchecked = append(notClean.Unchecked, Finding{Fault: name, Evidence: err.Error()})
			continue
		}
		if d.Present && !negativeControl(name) {
			notClean.Found = append(notClean.Found, Finding{Fault: name, Evidence: d.Evidence})
		}
		baseline.Faults = append(baseline.Faults, manifest.FaultState{Name: name, Params: faults.Params(fs[i]),
			Probe: probes[i], Present: d.Present, Evidence: d.Evidence})
	}
	if len(notClean.Found) > 0 || len(notClean.Unchecked) > 0 {
		return baseline, notClean
	}
	return baseline, nil
}

// probeBatch sends the ops that reads(i) gives for every fault not failed
// yet as one batch, and appends each fault's results to its probe.
func probeBatch(ctx context.Context, s lab.Session, fs []faults.Fault, probes []faults.Probe, failed []error, reads func(i int) ([]ops.Op, error)) error {
	var batch []ops.Op
	spans := make([][2]int, len(fs))
	for i := range fs {
		if failed[i] != nil {
			continue
		}
		more, err := reads(i)
		if err != nil {
			failed[i] = err
			continue
		}
		spans[i] = [2]int{len(batch), len(batch) + len(more)}
		batch = append(batch, more...)
	}
	if len(batch) == 0 {
		return nil
	}
	res, err := s.RunBatch(ctx, batch)
	if err != nil {
		return err
	}
	for i, sp := range spans {
		if sp[1] > sp[0] {
			probes[i] = append(probes[i][:len(probes[i]):len(probes[i])], res[sp[0]:sp[1]]...)
		}
	}
	return nil
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
