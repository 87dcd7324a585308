package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// ErrUndo is wrapped by CheckUndo's errors.
var ErrUndo = errors.New("faults: undo data does not match the fault's probe")

// CheckUndo checks undo data read back from a journal against what the
// fault's own Probe reads for the target: the same ops in the same order,
// each result about the path or name that op read. Revert builds changes
// from these results, so a result about another path (a DACL to write on
// another folder) must never reach it.
func CheckUndo(f Fault, t Target, undo Probe) error {
	if !slices.Contains(ops.Contexts, t.Context) {
		return fmt.Errorf("%w: unknown install context %q", ErrUndo, t.Context)
	}
	want := f.Probe(t)
	if len(undo) < len(want) {
		return fmt.Errorf("%w: %d results for %d reads", ErrUndo, len(undo), len(want))
	}
	if fp, ok := f.(FollowUpProber); ok && !undo.readFailed(0, len(want)) {
		more, err := fp.ProbeFollowUp(t, undo[:len(want)])
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUndo, err)
		}
		want = append(want, more...)
	}
	if len(undo) != len(want) {
		return fmt.Errorf("%w: %d results for %d reads", ErrUndo, len(undo), len(want))
	}
	for i, op := range want {
		r := undo[i]
		if r.Op != op.Name {
			return fmt.Errorf("%w: result %d is %s, the probe reads %s", ErrUndo, i, r.Op, op.Name)
		}
		if !r.OK {
			continue
		}
		var args, val map[string]any
		if json.Unmarshal(op.Args, &args) != nil || json.Unmarshal(r.Value, &val) != nil {
			continue
		}
		for _, k := range []string{"path", "name"} {
			a, ok1 := args[k].(string)
			v, ok2 := val[k].(string)
			if ok1 && ok2 && !samePath(a, v) {
				return fmt.Errorf("%w: result %d (%s) is about %q, the probe reads %q", ErrUndo, i, op.Name, v, a)
			}
		}
	}
	return nil
}

// samePath compares two paths or names as Windows does: case-insensitive,
// a trailing backslash aside.
func samePath(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, `\`), strings.TrimSuffix(b, `\`))
}
