package model

import (
	"errors"
	"fmt"
	"github.com/msilab/msilab/win"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func newMachine(t testing.TB, profile string) *Machine {
	t.Helper()
	m, err := New(Options{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProfilesLoadAndBuild(t *testing.T) {
	want := []string{"server2016", "server2019", "server2022", "server2025", "win10-22h2", "win11-24h2"}
	var got []string
	for _, p := range win.Profiles() {
		got = append(got, p.Name)
		m := newMachine(t, p.Name)
		fs, reg := m.FS(), m.Registry()
		sys := win.SystemToken()
		for _, path := range []string{`C:\Windows\System32\msiexec.exe`, `C:\Windows\System32\msi.dll`,
			`C:\Windows\Temp`, `C:\Windows\Installer`, `C:\Program Files`, `C:\Program Files (x86)`,
			`C:\ProgramData`, `C:\Users\msilab\AppData\Local\Temp`, `C:\Users\Public`} {
			if !fs.Exists(path) {
				t.Errorf("%s: %s missing", p.Name, path)
			}
		}
		fi, _ := fs.Stat(`C:\Windows\System32\msi.dll`)
		if fi.Version != p.MsiVersion || !strings.HasPrefix(fi.Version, fmt.Sprintf("5.0.")) {
			t.Errorf("%s: msi.dll version %q", p.Name, fi.Version)
		}
		if fi, _ := fs.Stat(`C:\Windows\Installer`); fi.Attrs&(AttrHidden|AttrSystem) != AttrHidden|AttrSystem {
			t.Errorf("%s: Installer attrs %#x", p.Name, fi.Attrs)
		}
		// The split entries icacls shows on healthy machines (docs/evidence.md#E-temp-default-acl).
		if got := dacl(t, m, `C:\Windows\Temp`); got != "D:PAI(A;CI;0x100026;;;BU)(A;;FA;;;BA)(A;OICIIO;FA;;;BA)(A;;FA;;;SY)(A;OICIIO;FA;;;SY)(A;OICIIO;FA;;;CO)" {
			t.Errorf("%s: Temp DACL %s", p.Name, got)
		}
		cv := `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
		if v, err := reg.GetValue(sys, cv, "ProductName"); err != nil || v.Str != p.DisplayName {
			t.Errorf("%s: ProductName %v %v", p.Name, v, err)
		}
		if v, _ := reg.GetValue(sys, cv, "UBR"); v.Num != uint64(p.UBR) || v.Type != RegDWORD {
			t.Errorf("%s: UBR %v", p.Name, v)
		}
		_, err := reg.GetValue(sys, cv, "DisplayVersion")
		if (p.DisplayVersion == "") != errors.Is(err, ErrNotFound) {
			t.Errorf("%s: DisplayVersion presence: %v", p.Name, err)
		}
		if vals, err := reg.Values(sys, `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`); err != nil || len(vals) != 0 {
			t.Errorf("%s: policy key must exist and be empty: %v %v", p.Name, vals, err)
		}
		if v, _ := reg.GetValue(sys, `HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`, "ComputerName"); v.Str != p.Hostname {
			t.Errorf("%s: ComputerName %q", p.Name, v.Str)
		}
		msi, err := m.Services().Query("msiserver")
		if err != nil || msi.State != ServiceStopped || msi.Config.Start != win.StartDemand || msi.Config.Type != 0x10 ||
			msi.Config.ImagePath != `%systemroot%\system32\msiexec.exe /V` || !slices.Equal(msi.Config.DependOnService, []string{"RpcSs"}) ||
			msi.Config.ObjectName != "LocalSystem" {
			t.Errorf("%s: msiserver %+v %v", p.Name, msi, err)
		}
		if rpc, _ := m.Services().Query("RpcSs"); rpc.State != ServiceRunning || rpc.Config.Start != win.StartAuto {
			t.Errorf("%s: RpcSs %+v", p.Name, rpc)
		}
		server := p.Edition == win.EditionServer
		if (p.DisableMSIWhenAbsent == 1) != server {
			t.Errorf("%s: disable_msi_when_absent %d", p.Name, p.DisableMSIWhenAbsent)
		}
		adm, _ := m.Users().Lookup("Administrator")
		if adm.SID.RID() != 500 || adm.Enabled != server {
			t.Errorf("%s: Administrator %+v", p.Name, adm)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("profiles %v, want %v", got, want)
	}
	if p, _ := win.LookupProfile("win11-24h2"); p.DisplayName != "Windows 10 Pro" || p.Build != 26100 {
		t.Errorf("Windows 11 reports ProductName %q", p.DisplayName)
	}
}

func TestUnknownProfile(t *testing.T) {
	_, err := New(Options{Profile: "win98"})
	var pe *win.ProfileError
	if !errors.As(err, &pe) || !errors.Is(err, win.ErrUnknownProfile) || len(pe.Known) != 6 {
		t.Fatalf("err = %v", err)
	}
}

func TestNewOptions(t *testing.T) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := New(Options{Profile: "server2022", Hostname: "lab-7", AdminUser: "Administrator",
		AdminPassword: "pw", Clock: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	if m.Hostname() != "LAB-7" || m.Now() != start {
		t.Errorf("hostname %s now %v", m.Hostname(), m.Now())
	}
	u, ok := m.Users().Lookup("administrator")
	if !ok || u.SID.RID() != 500 || !u.Enabled || u.Password != "pw" || u.Profile != `C:\Users\Administrator` {
		t.Errorf("admin user %+v", u)
	}
	if len(m.Users().List()) != 1 {
		t.Errorf("users %v", m.Users().List())
	}
	if got := m.LookupSID(u.SID); got != `LAB-7\Administrator` {
		t.Errorf("LookupSID %s", got)
	}
	a, b := newMachine(t, ""), newMachine(t, "")
	if a.Digest() != b.Digest() || a.Profile().Name != win.DefaultProfile {
		t.Error("two fresh machines differ")
	}
	if a.Domain() == newMachine(t, "server2016").Domain() {
		t.Error("machine SID must depend on the host")
	}
}

// mutate changes a lot of state through the public API.
func mutate(t *testing.T, m *Machine) {
	t.Helper()
	sys := win.SystemToken()
	admin, err := m.Token(win.KindAdminElevated, "msilab")
	must(t, err)
	fs := m.FS()
	must(t, fs.SetSDDL(sys, `C:\Windows\Temp`, "D:PAI(A;OICI;0x100001;;;SY)(A;OICI;FA;;;BA)"))
	must(t, fs.MkdirAll(admin, `C:\Program Files\Contoso\bin`))
	must(t, fs.WriteFile(admin, `C:\Program Files\Contoso\bin\app.exe`, []byte("MZ")))
	if err := fs.Remove(sys, `C:\Windows\System32\msi.dll`); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("SYSTEM deleted a TrustedInstaller-owned file: %v", err)
	}
	must(t, fs.SetAttributes(sys, `C:\Users\Public`, 0))
	must(t, fs.Remove(sys, `C:\Users\Public`))
	must(t, fs.SetAttributes(sys, `C:\Windows\Installer`, 0))
	reg := m.Registry()
	must(t, reg.SetValue(admin, `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`, DWORD("DisableMSI", 2)))
	must(t, reg.DeleteKey(admin, `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer`))
	must(t, m.Services().SetStartType(admin, "msiserver", win.StartDisabled))
	_, err = m.Users().Ensure(admin, UserSpec{Name: "labuser", Password: "Lab-Passw0rd!"})
	must(t, err)
	m.EventLog().Write(Event{ProviderName: "MsiInstaller", EventID: 11708, Level: LevelError})
	must(t, m.Mutexes().Acquire(`Global\_MSIExecute`, "pid 4242", time.Time{}))
}

func TestSnapshotRestore(t *testing.T) {
	m := newMachine(t, "win10-22h2")
	clean := m.State()
	m.Snapshot("clean")
	mutate(t, m)
	dirty := m.State()
	if dirty.Digest() == clean.Digest() {
		t.Fatal("mutation did not change the state")
	}
	a, b := DiffState(clean, dirty)
	if len(a) == 0 || len(b) == 0 {
		t.Errorf("diff: %d/%d lines", len(a), len(b))
	}
	m.Snapshot("dirty")
	must(t, m.Restore("clean"))
	if m.Digest() != clean.Digest() {
		a, b := DiffState(clean, m.State())
		t.Fatalf("restore differs:\n-%s\n+%s", strings.Join(a, "\n-"), strings.Join(b, "\n+"))
	}
	// Mutating after a restore leaves the snapshot intact.
	mutate(t, m)
	if s, _ := m.SnapshotState("clean"); s.Digest() != clean.Digest() {
		t.Fatal("snapshot aliased by the restored state")
	}
	must(t, m.Restore("clean"))
	must(t, m.Restore("dirty"))
	if m.Digest() != dirty.Digest() {
		t.Error("restore dirty")
	}
	if got := m.Snapshots(); !slices.Equal(got, []string{"clean", "dirty"}) {
		t.Errorf("Snapshots %v", got)
	}
	err := m.Restore("nope")
	var se *SnapshotError
	if !errors.Is(err, ErrUnknownSnapshot) || !errors.As(err, &se) || len(se.Known) != 2 {
		t.Errorf("unknown snapshot: %v", err)
	}
	if _, err := m.SnapshotState("nope"); !errors.Is(err, ErrUnknownSnapshot) {
		t.Errorf("SnapshotState: %v", err)
	}
}

// A cell reverts its host to the clean snapshot before it starts (a few
// milliseconds at most are expected; go test -bench SnapshotRestore).
func BenchmarkSnapshotRestore(b *testing.B) {
	m := newMachine(b, "win11-24h2")
	for b.Loop() {
		m.Snapshot("s")
		if err := m.Restore("s"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDeterministicClock(t *testing.T) {
	a, b := newMachine(t, "win10-22h2"), newMachine(t, "win10-22h2")
	mutate(t, a)
	mutate(t, b)
	if a.Digest() != b.Digest() {
		t.Error("same operations gave different states")
	}
	t1, t2 := a.Now(), a.Now()
	if t2.Sub(t1) != time.Millisecond || !t1.After(a.Profile().ClockStart) {
		t.Errorf("clock %v %v", t1, t2)
	}
}

func TestConcurrentUse(t *testing.T) {
	m := newMachine(t, "server2019")
	sys := win.SystemToken()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				p := fmt.Sprintf(`C:\Windows\Temp\w%d-%d.tmp`, i, j)
				if err := m.FS().WriteFile(sys, p, []byte("x")); err != nil {
					t.Error(err)
				}
				m.EventLog().Write(Event{ProviderName: "test"})
				_ = m.Registry().SetValue(sys, `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`, DWORD("n", uint32(j)))
				if j%10 == 0 {
					m.Snapshot(fmt.Sprint(i))
					_ = m.State()
				}
			}
		}(i)
	}
	wg.Wait()
	if n := len(m.EventLog().Query(0, "test")); n != 400 {
		t.Errorf("events %d", n)
	}
}
