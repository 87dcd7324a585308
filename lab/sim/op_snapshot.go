package sim

import (
	"context"
	"encoding/json"

	"github.com/msilab/msilab/lab/ops"
)

func init() {
	registerOp(ops.OpSimSnapshot, simSnapshot)
	registerOp(ops.OpSimRestore, simRestore)
}

func simSnapshot(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.SnapshotArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	h.m.Snapshot(a.Name)
	st, err := h.m.SnapshotState(a.Name)
	if err != nil {
		return nil, opError(err)
	}
	return ops.Snapshot{Name: a.Name, Digest: st.Digest()}, nil
}

func simRestore(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.SnapshotArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	before := h.m.Digest()
	if err := h.m.Restore(a.Name); err != nil {
		return nil, opError(err)
	}
	return ops.SnapshotRestored{Name: a.Name, DigestBefore: before, Digest: h.m.Digest()}, nil
}
