package testlab

import (
	"context"
	"fmt"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/testpkgs"
)

// PrepareFault puts on a clean host what a fault acts on, so that it can
// be injected: a faults.ProductBound fault needs its product installed
// (the permachine test package, uploaded and installed elevated). Other
// faults need nothing.
func PrepareFault(ctx context.Context, s lab.Session, f faults.Fault) error {
	if _, ok := f.(faults.ProductBound); !ok {
		return nil
	}
	data, err := testpkgs.Bytes("permachine")
	if err != nil {
		return err
	}
	path := lab.PackageDir + `\permachine.msi`
	if _, _, err := lab.EnsureFile(ctx, s, data, path); err != nil {
		return err
	}
	res, err := s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: path, Context: ops.ContextAdminElevated})})
	if err != nil {
		return err
	}
	var run ops.MsiRun
	if err := res[0].Decode(&run); err != nil {
		return err
	}
	if run.ExitCode != 0 {
		return fmt.Errorf("install permachine for %T: exit %d", f, run.ExitCode)
	}
	return nil
}
