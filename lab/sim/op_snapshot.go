package sim

import "github.com/msilab/msilab/lab/ops"

func init() {
	name := func(a ops.SnapshotArgs) error { return required("name", a.Name) }
	registerOp(ops.OpSimSnapshot, typed(name, func(c opCall, a ops.SnapshotArgs) (any, error) {
		c.h.m.Snapshot(a.Name)
		st, err := c.h.m.SnapshotState(a.Name)
		if err != nil {
			return nil, opError(err)
		}
		return ops.Snapshot{Name: a.Name, Digest: st.Digest()}, nil
	}))
	registerOp(ops.OpSimRestore, typed(name, func(c opCall, a ops.SnapshotArgs) (any, error) {
		before := c.h.m.Digest()
		if err := c.h.m.Restore(a.Name); err != nil {
			return nil, opError(err)
		}
		return ops.SnapshotRestored{Name: a.Name, DigestBefore: before, Digest: c.h.m.Digest()}, nil
	}))
}
