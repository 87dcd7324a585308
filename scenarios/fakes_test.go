package scenarios

import (
	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// fakeBase is a fault that changes nothing, for catalogs made up by tests.
// The package's tests otherwise use the real faults: the faults package
// registers every fault the built-in catalog names, and TestBuiltinCatalog
// fails if a scenario names one it does not.
type fakeBase struct {
	probe func(faults.Target) []ops.Op
}

func (f *fakeBase) Probe(t faults.Target) []ops.Op                       { return f.probe(t) }
func (f *fakeBase) Inject(faults.Target, faults.Probe) ([]ops.Op, error) { return nil, nil }
func (f *fakeBase) Revert(faults.Target, faults.Probe) ([]ops.Op, error) { return nil, nil }
func (f *fakeBase) Detect(faults.Target, faults.Probe) (faults.Detection, error) {
	return faults.Detection{}, nil
}
