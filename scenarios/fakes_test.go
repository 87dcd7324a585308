package scenarios

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// The fault catalog's names and parameters are fixed; the faults themselves
// are written in faults/*.go. Whatever is not registered yet when the tests
// run is registered here as a stand-in with the same name and parameters,
// so the tests go through the real faults.Decode and faults.ParamsOf.
var builtinFaultNames = []string{
	"temp-acl", "user-temp", "installer-acl", "installer-missing", "service-disabled",
	"service-stopped", "service-unregistered", "disable-msi", "always-install-elevated", "mutex-held",
}

// fakes lists the stand-ins registered by TestMain.
var fakes []string

func TestMain(m *testing.M) {
	registered := faults.Names()
	for _, name := range builtinFaultNames {
		if slices.Contains(registered, name) {
			continue
		}
		faults.Register(fakeInfo(name))
		fakes = append(fakes, name)
	}
	os.Exit(m.Run())
}

func fakeInfo(name string) faults.Info {
	info := faults.Info{
		Name: name, Summary: "stand-in for " + name, Evidence: "test",
		Inject: "break " + name, Revert: "restore " + name,
	}
	probe := func(t faults.Target) []ops.Op {
		op, _ := ops.New(ops.OpPathStat, ops.PathArgs{Path: `C:\fake\` + name + `\` + t.ContextUser()})
		return []ops.Op{op}
	}
	switch name {
	case "temp-acl":
		info.New = func() faults.Fault { return &fakeTempACL{fakeBase{probe}, "system-read-only"} }
	case "user-temp":
		info.New = func() faults.Fault { return &fakeUserTemp{fakeBase{probe}, "missing"} }
	case "disable-msi":
		info.New = func() faults.Fault { return &fakeDisableMSI{fakeBase{probe}, 2} }
	case "mutex-held":
		info.New = func() faults.Fault { return &fakeMutex{fakeBase{probe}, 600} }
	default:
		info.New = func() faults.Fault { return &fakeBase{probe} }
	}
	return info
}

type fakeBase struct {
	probe func(faults.Target) []ops.Op
}

func (f *fakeBase) Probe(t faults.Target) []ops.Op                       { return f.probe(t) }
func (f *fakeBase) Inject(faults.Target, faults.Probe) ([]ops.Op, error) { return nil, nil }
func (f *fakeBase) Revert(faults.Target, faults.Probe) ([]ops.Op, error) { return nil, nil }
func (f *fakeBase) Detect(faults.Target, faults.Probe) (faults.Detection, error) {
	return faults.Detection{}, nil
}

type fakeTempACL struct {
	fakeBase `json:"-"`
	Variant  string `json:"variant"`
}

func (f *fakeTempACL) Validate() error {
	return oneOf("variant", f.Variant, "system-read-only", "users-write-removed", "inheritance-broken")
}

type fakeUserTemp struct {
	fakeBase `json:"-"`
	State    string `json:"state"`
}

func (f *fakeUserTemp) Validate() error { return oneOf("state", f.State, "missing", "unwritable") }

type fakeDisableMSI struct {
	fakeBase `json:"-"`
	Value    int `json:"value"`
}

func (f *fakeDisableMSI) Validate() error {
	if f.Value != 1 && f.Value != 2 {
		return fmt.Errorf("value must be 1 or 2, not %d", f.Value)
	}
	return nil
}

type fakeMutex struct {
	fakeBase `json:"-"`
	Seconds  int `json:"seconds"`
}

func (f *fakeMutex) Validate() error {
	if f.Seconds < 1 || f.Seconds > 86400 {
		return fmt.Errorf("seconds must be between 1 and 86400, not %d", f.Seconds)
	}
	return nil
}

func oneOf(param, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%s must be one of %v, not %q", param, allowed, v)
	}
	return nil
}
