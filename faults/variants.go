package faults

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/msilab/msilab/lab/ops"
)

// Varianter is a fault that can be injected in more than one way (a
// parameter that picks what breaks): Variants returns one fault for each,
// so that a clean-host check detects them all, not only the defaults.
type Varianter interface {
	Variants() []Fault
}

// Variants lists the ways the named fault can be present on a host: its
// Variants, or the fault with its default parameters.
func Variants(name string) ([]Fault, error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	f := info.New()
	if v, ok := f.(Varianter); ok {
		return v.Variants(), nil
	}
	return []Fault{f}, nil
}

// Presence is one fault variant checked on a host for one target.
type Presence struct {
	Fault  string          `json:"fault"`
	Params json.RawMessage `json:"params"`
	Target Target          `json:"target"`
	Probe  Probe           `json:"probe"`
	Detection
	// Err is a probe or Detect that failed: the variant could not be checked.
	Err error `json:"-"`
}

// BatchFunc runs a batch of ops on a host (lab.Session.RunBatch).
type BatchFunc func(context.Context, []ops.Op) ([]ops.Result, error)

// DetectAll checks every variant of the named faults, for each target (a
// variant whose reads do not depend on the target is checked once), in
// two batches: the probes, then the follow-up reads. The error is the
// host's (a batch that failed); a variant that could not be checked has
// its Err set. A variant with no reads for a target does not apply to it
// (user-temp in the system context) and is left out.
func DetectAll(ctx context.Context, run BatchFunc, names []string, targets []Target) ([]Presence, error) {
	var out []Presence
	var fs []Fault
	seen := map[string]bool{}
	for _, name := range names {
		vs, err := Variants(name)
		if err != nil {
			return nil, err
		}
		for _, f := range vs {
			for _, t := range targets {
				probe := f.Probe(t)
				if len(probe) == 0 { // the variant does not apply to this target (user-temp for system)
					continue
				}
				key, _ := json.Marshal([]any{name, Params(f), probe})
				if seen[string(key)] {
					continue
				}
				seen[string(key)] = true
				out = append(out, Presence{Fault: name, Params: Params(f), Target: t})
				fs = append(fs, f)
			}
		}
	}
	if err := batchReads(ctx, run, out, func(i int) ([]ops.Op, error) { return fs[i].Probe(out[i].Target), nil }); err != nil {
		return out, fmt.Errorf("faults: probe: %w", err)
	}
	err := batchReads(ctx, run, out, func(i int) ([]ops.Op, error) {
		if fp, ok := fs[i].(FollowUpProber); ok {
			return fp.ProbeFollowUp(out[i].Target, out[i].Probe)
		}
		return nil, nil
	})
	if err != nil {
		return out, fmt.Errorf("faults: probe (follow-up reads): %w", err)
	}
	for i := range out {
		if out[i].Err != nil {
			continue
		}
		out[i].Detection, out[i].Err = fs[i].Detect(out[i].Target, out[i].Probe)
	}
	return out, nil
}

// batchReads sends, as one batch, the reads that reads(i) gives for every
// presence not failed yet, and appends each one's results to its probe.
func batchReads(ctx context.Context, run BatchFunc, ps []Presence, reads func(i int) ([]ops.Op, error)) error {
	var batch []ops.Op
	spans := make([][2]int, len(ps))
	for i := range ps {
		if ps[i].Err != nil {
			continue
		}
		more, err := reads(i)
		if err != nil {
			ps[i].Err = err
			continue
		}
		spans[i] = [2]int{len(batch), len(batch) + len(more)}
		batch = append(batch, more...)
	}
	if len(batch) == 0 {
		return nil
	}
	res, err := run(ctx, batch)
	if err != nil {
		return err
	}
	if len(res) != len(batch) {
		return fmt.Errorf("%d results for %d reads", len(res), len(batch))
	}
	for i, sp := range spans {
		if sp[1] > sp[0] {
			ps[i].Probe = append(ps[i].Probe[:len(ps[i].Probe):len(ps[i].Probe)], res[sp[0]:sp[1]]...)
		}
	}
	return nil
}

// Variants of the faults that have several.

// Variants are temp-acl's three broken ACLs.
func (f *TempACL) Variants() []Fault {
	out := make([]Fault, len(tempVariants))
	for i, v := range tempVariants {
		out[i] = &TempACL{Variant: v}
	}
	return out
}

// Variants are DisableMSI 1 and 2.
func (f *DisableMSI) Variants() []Fault { return []Fault{&DisableMSI{Value: 1}, &DisableMSI{Value: 2}} }

// Variants are a missing and an unwritable %TEMP%.
func (f *UserTemp) Variants() []Fault {
	out := make([]Fault, len(userTempStates))
	for i, s := range userTempStates {
		out[i] = &UserTemp{State: s}
	}
	return out
}
