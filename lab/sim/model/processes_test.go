package model

import (
	"errors"
	"testing"

	"github.com/msilab/msilab/win"
)

// A process is stopped by its account or an administrator only; a
// stopped one is gone, its ID then names nothing.
func TestProcessesStop(t *testing.T) {
	m, tok := newTempMachine(t)
	p := m.Processes().Start(Process{Image: `C:\Windows\System32\lsass.exe`, User: win.SIDSystem})
	if err := m.Processes().Stop(tok[win.KindStandardUser], p.PID); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("a standard user stops SYSTEM's process: %v", err)
	}
	if got, ok := m.Processes().Get(p.PID); !ok || !got.Started.Equal(p.Started) {
		t.Fatalf("the process: %+v %v", got, ok)
	}
	if err := m.Processes().Stop(tok[win.KindAdminElevated], p.PID); err != nil {
		t.Fatal(err)
	}
	if err := m.Processes().Stop(tok[win.KindAdminElevated], p.PID); Code(err) != ErrorInvalidParameter {
		t.Errorf("stopping a process that is gone: %v", err)
	}
}

// A junction is a directory with the reparse point attribute, which
// SetFileAttributes neither sets nor clears.
func TestJunctionAttribute(t *testing.T) {
	m, tok := newTempMachine(t)
	if err := m.FS().Junction(tok[win.KindAdminElevated], `C:\link`, `C:\Windows\Temp`); err != nil {
		t.Fatal(err)
	}
	if err := m.FS().SetAttributes(tok[win.KindAdminElevated], `C:\link`, AttrHidden); err != nil {
		t.Fatal(err)
	}
	if fi, _ := m.FS().Stat(`C:\link`); !fi.Dir || fi.Attrs&AttrReparsePoint == 0 {
		t.Errorf("the junction lost its attribute: %+v", fi)
	}
	if err := m.FS().Mkdir(tok[win.KindAdminElevated], `C:\dir`); err != nil {
		t.Fatal(err)
	}
	if err := m.FS().SetAttributes(tok[win.KindAdminElevated], `C:\dir`, AttrReparsePoint); err != nil {
		t.Fatal(err)
	}
	if fi, _ := m.FS().Stat(`C:\dir`); fi.Attrs&AttrReparsePoint != 0 {
		t.Error("SetAttributes made a folder a reparse point")
	}
}
