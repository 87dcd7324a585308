package lab

import (
	"context"
	"fmt"

	"github.com/msilab/msilab/lab/ops"
)

// The two drivers every build has: "none" (no snapshot: the journal's
// undo is the only cleanup) and "sim" (a simulated host saves and restores
// its whole model through the sim.snapshot and sim.restore ops).
func init() {
	RegisterSnapshotDriver(SnapshotDriverInfo{Name: "none",
		Summary: "no snapshot: the faults' journaled undo is the only cleanup, checked by the baseline comparison"})
	RegisterSnapshotDriver(SnapshotDriverInfo{Name: "sim", InGuest: true,
		Summary: "a simulated host (lab/sim) saves and restores its whole state (ops sim.snapshot, sim.restore)",
		Open: func(_ context.Context, o SnapshotOpen) (SnapshotDriver, error) {
			return &simDriver{host: o.Host.Name, session: o.Session}, nil
		}})
}

type simDriver struct {
	host    string
	session func(context.Context) (Session, error)
}

func (d *simDriver) Revert(ctx context.Context, snapshot string) error {
	return d.op(ctx, ops.OpSimRestore, snapshot)
}

func (d *simDriver) SaveSnapshot(ctx context.Context, snapshot string) error {
	return d.op(ctx, ops.OpSimSnapshot, snapshot)
}

func (d *simDriver) op(ctx context.Context, name, snapshot string) error {
	s, err := d.session(ctx)
	if err != nil {
		return err
	}
	op, err := ops.New(name, ops.SnapshotArgs{Name: snapshot})
	if err != nil {
		return err
	}
	res, err := s.RunBatch(ctx, []ops.Op{op})
	if err != nil {
		return err
	}
	if err := res[0].Decode(nil); err != nil {
		if oe, ok := err.(*ops.Error); ok && oe.Code == ops.CodeNotFound {
			err = fmt.Errorf("%w: %v", ErrNoSnapshot, err)
		}
		return &SnapshotError{Driver: "sim", VM: d.host, Snapshot: snapshot, Err: err}
	}
	return nil
}
