package faults

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// FollowUpProber is implemented by faults whose reads depend on what the
// first reads found: a user's registry hive is named by the SID that
// user.get returns. The caller sends Probe's ops, then ProbeFollowUp's
// (computed from the first results), and uses the two results together,
// in that order, as the probe (to journal, to Inject, Revert and Detect).
// RunProbe does exactly that.
type FollowUpProber interface {
	ProbeFollowUp(t Target, first Probe) ([]ops.Op, error)
}

// ProductBound is implemented by faults that act on an installed
// product's files: their probe reads the product's registration, which
// the cell's own removal of the product changes. Unchanged tells whether
// now (the probe read again) shows the host as the fault found it, apart
// from the product having been removed since: "" when it does, else
// what differs. journal.CheckProof uses it instead of comparing every read.
type ProductBound interface {
	Unchanged(t Target, undo, now Probe) string
}

// RunProbe takes a fault's probe on a host: one batch of Probe's ops, and
// a second batch when the fault is a FollowUpProber with follow-up reads.
// An op that failed is kept in the probe as its result; the fault decides.
func RunProbe(ctx context.Context, s lab.Session, f Fault, t Target) (Probe, error) {
	var p Probe
	if batch := f.Probe(t); len(batch) > 0 {
		res, err := s.RunBatch(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("faults: probe: %w", err)
		}
		p = append(p, res...)
	}
	fp, ok := f.(FollowUpProber)
	if !ok {
		return p, nil
	}
	more, err := fp.ProbeFollowUp(t, p)
	if err != nil {
		return nil, err
	}
	if len(more) > 0 {
		res, err := s.RunBatch(ctx, more)
		if err != nil {
			return nil, fmt.Errorf("faults: probe follow-up: %w", err)
		}
		p = append(p, res...)
	}
	return p, nil
}

// result decodes the i-th result of a probe, which must be of op, into v.
// An op error (a failed read) is returned as it is, wrapped in ErrProbe.
func (p Probe) result(i int, op string, v any) error {
	if i >= len(p) {
		return fmt.Errorf("%w: %d results, no %s at %d", ErrProbe, len(p), op, i)
	}
	r := p[i]
	if r.Op != op {
		return fmt.Errorf("%w: result %d is %s, want %s", ErrProbe, i, r.Op, op)
	}
	if !r.OK && r.Error == nil && len(r.Value) == 0 {
		return fmt.Errorf("%w: %s failed without an error", ErrProbe, op)
	}
	if err := r.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrProbe, err)
	}
	return nil
}

// readFailed reports whether a read among the n results from i failed.
// Revert checks the reads it needs with it: Inject needed them too and
// refused to run, so nothing was changed and there is nothing to revert
// (which lets a journal with a failed read still be reverted as a whole).
func (p Probe) readFailed(i, n int) bool {
	for j := i; j < i+n && j < len(p); j++ {
		if !p[j].OK {
			return true
		}
	}
	return false
}

// jsonString quotes s for an Evidence text.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
