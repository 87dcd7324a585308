package installer

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testmsi"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/testpkgs"
	"github.com/msilab/msilab/win"
)

const (
	pkgDir   = `C:\ProgramData\msilab\packages`
	admin    = "msilab"
	stdUser  = "msilab-user"
	tempPath = `C:\Windows\Temp`
)

// testLab is a fresh machine with the lab's standard user and the test
// packages under pkgDir.
type testLab struct {
	t *testing.T
	m *model.Machine
}

func newLab(t *testing.T, profile string) *testLab {
	t.Helper()
	m, err := model.New(model.Options{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	sys := win.SystemToken()
	u, err := m.Users().Ensure(sys, model.UserSpec{Name: stdUser, Password: "Std-Passw0rd!"})
	if err != nil {
		t.Fatal(err)
	}
	// The user is logged on: its hive is loaded, as the launcher's
	// LoadUserProfile leaves it while msiexec runs.
	if _, err := m.Registry().LoadUserHive(sys, u.SID); err != nil {
		t.Fatal(err)
	}
	must(t, m.FS().MkdirAll(sys, pkgDir))
	for _, n := range testpkgs.Names() {
		data, err := testpkgs.Bytes(n)
		must(t, err)
		must(t, m.FS().WriteFile(sys, pkgDir+`\`+n+".msi", data))
	}
	return &testLab{t: t, m: m}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (l *testLab) token(kind win.TokenKind) (*win.Token, string) {
	l.t.Helper()
	user := admin
	switch kind {
	case win.KindStandardUser:
		user = stdUser
	case win.KindSystem:
		user = ""
	}
	tok, err := l.m.Token(kind, user)
	must(l.t, err)
	return tok, user
}

func (l *testLab) install(name string, kind win.TokenKind, ui UILevel) *Result {
	l.t.Helper()
	tok, user := l.token(kind)
	res, err := Run(context.Background(), l.m, Request{Action: Install, Package: pkgDir + `\` + name + ".msi", Token: tok, User: user, UI: ui})
	must(l.t, err)
	return res
}

func (l *testLab) uninstall(name string, kind win.TokenKind) *Result {
	l.t.Helper()
	info, err := testpkgs.Lookup(name)
	must(l.t, err)
	tok, user := l.token(kind)
	res, err := Run(context.Background(), l.m, Request{Action: Uninstall, ProductCode: info.ProductCode, Token: tok, User: user})
	must(l.t, err)
	return res
}

func (l *testLab) setSDDL(path, sddl string) {
	l.t.Helper()
	must(l.t, l.m.FS().SetSDDL(win.SystemToken(), path, sddl))
}

func (l *testLab) setPolicy(key, name string, v uint32) {
	l.t.Helper()
	sys := win.SystemToken()
	must(l.t, l.m.Registry().CreateKey(sys, key))
	must(l.t, l.m.Registry().SetValue(sys, key, model.DWORD(name, v)))
}

func (l *testLab) exists(path string) bool { return l.m.FS().Exists(path) }

// outcome is what a row of docs/evidence.md predicts.
type outcome struct {
	exit     ExitCode
	messages []Message
	log      []string // in this order
	notLog   []string
	events   []uint32 // exact IDs in order
	status   string   // the "status: N." of 1033/1034/1035, when one is written
}

func check(t *testing.T, res *Result, want outcome) {
	t.Helper()
	parsedAgrees(t, res)
	if res.ExitCode != want.exit {
		t.Errorf("exit code = %v, want %v (rules %v)\n%s", res.ExitCode, want.exit, res.Rules, res.Log)
	}
	if !slices.Equal(res.Messages, want.messages) {
		t.Errorf("messages = %v, want %v", res.Messages, want.messages)
	}
	rest := res.Log
	for _, s := range want.log {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Errorf("log lacks %q (in order)\n%s", s, res.Log)
			break
		}
		rest = rest[i+len(s):]
	}
	for _, s := range want.notLog {
		if strings.Contains(res.Log, s) {
			t.Errorf("log has %q", s)
		}
	}
	var ids []uint32
	for _, e := range res.Events {
		ids = append(ids, e.EventID)
		if e.ProviderName != Source {
			t.Errorf("event %d source %q", e.EventID, e.ProviderName)
		}
		if (e.EventID == EventInstalled || e.EventID == EventRemoved || e.EventID == EventReconfigured) && want.status != "" &&
			!strings.HasSuffix(e.Message, "success or error status: "+want.status+".") {
			t.Errorf("event %d: %q, want status %s", e.EventID, e.Message, want.status)
		}
	}
	if !slices.Equal(ids, want.events) {
		t.Errorf("events = %v, want %v", ids, want.events)
	}
}

// The default C:\Windows\Temp ACL (R, docs/evidence.md#E-temp-default-acl) broken three ways.
const (
	tempDenySystemWrite = "D:PAI(D;OICI;0x116;;;SY)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"
	tempReadOnly        = "D:PAI(A;OICI;0x1200a9;;;SY)(A;OICI;0x1200a9;;;BA)(A;CI;0x100026;;;BU)(A;OICIIO;FA;;;CO)"
	tempNoUsers         = "D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"
	installerDenySystem = "D:PAI(D;OICI;0x116;;;SY)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;WD)"
)

var chain2503 = outcome{
	exit:     ExitInstallFailure,
	messages: []Message{MsgRunScriptNotMarked, MsgFinalizeNoInstall},
	log: []string{
		`Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287038`,
		"Action start", "InstallFinalize.",
		`Running Script: C:\Windows\Installer\MSI`,
		"PROPERTY CHANGE: Adding UpdateStarted property. Its value is '1'.",
		`Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287035`,
		"Note: 1: 2503", "DEBUG: Error 2503:  Called RunScript when not marked in progress.",
		"Note: 1: 2502", "DEBUG: Error 2502:  Called InstallFinalize when no install in progress.",
		"InstallFinalize. Return value 3.", "INSTALL. Return value 3.",
		"-- Installation failed.",
		"Installation success or error status: 1603.",
		"MainEngineThread is returning 1603",
	},
	events: []uint32{EventTransactionBegin, EventInternalError, EventInternalError, EventInstallFailed, EventInstalled, EventTransactionEnd},
	status: "1603",
}

func TestInstallSucceeds(t *testing.T) {
	l := newLab(t, "")
	before := l.m.State()
	res := l.install("permachine", win.KindAdminElevated, UINone)
	check(t, res, outcome{exit: ExitSuccess,
		log: []string{"Grabbed execution mutex.", "Product installation will be elevated because user is admin and product is being installed per-machine.",
			"Action start", "InstallInitialize.", "InstallFinalize. Return value 1.", "INSTALL. Return value 1.",
			"Property(S): ProductCode = ", "-- Installation completed successfully.", "MainEngineThread is returning 0",
			"=== Logging stopped", "MainEngineThread is returning 0", "=== Verbose logging stopped"},
		events: []uint32{EventTransactionBegin, EventInstallSucceeded, EventInstalled, EventTransactionEnd}, status: "0"})
	data, err := l.m.FS().ReadFile(win.SystemToken(), `C:\Program Files (x86)\MsiLab\PerMachine\readme.txt`)
	must(t, err)
	if want, _ := testpkgs.Bytes("permachine"); len(data) == 0 || len(want) == 0 {
		t.Fatalf("installed readme.txt is empty")
	}
	v, err := l.m.Registry().GetValue(nil, `HKLM\SOFTWARE\WOW6432Node\MsiLab\PerMachine`, "Version")
	if err != nil || v.Str != "1.0.0" {
		t.Errorf("registry value = %+v, %v; want 1.0.0 in the 32-bit view", v, err)
	}
	info, _ := testpkgs.Lookup("permachine")
	p, ok := findProduct(l.m, info.ProductCode, "")
	if !ok || !p.perMachine() || !l.exists(p.localPackage) {
		t.Errorf("product not registered per-machine with its cached package: %+v %v", p, ok)
	}
	if l.exists(markerPath) {
		t.Errorf("the in-progress marker is left behind")
	}
	if held := l.holder(); held {
		t.Errorf("the execution mutex is still held")
	}
	// Uninstall: back to the state before, apart from events and the service that started.
	check(t, l.uninstall("permachine", win.KindAdminElevated), outcome{exit: ExitSuccess,
		log:    []string{"Executing op: FileRemove", "Executing op: ProductUnregister", "-- Removal completed successfully."},
		events: []uint32{EventTransactionBegin, EventRemoveSucceeded, EventRemoved, EventTransactionEnd}, status: "0"})
	onlyBefore, onlyAfter := model.DiffState(before, l.m.State())
	for _, lines := range [][]string{onlyBefore, onlyAfter} {
		for _, s := range lines {
			if !strings.HasPrefix(s, "event ") && !strings.HasPrefix(s, "svc msiserver ") {
				t.Errorf("install + uninstall left a change: %s", s)
			}
		}
	}
}

func (l *testLab) holder() bool {
	_, held := l.m.Mutexes().Holder(mutexExecute)
	return held
}

func TestPerUserInstallByStandardUser(t *testing.T) {
	l := newLab(t, "win11-24h2")
	info, _ := testpkgs.Lookup("peruser")
	tok, _ := l.token(win.KindStandardUser)
	before := l.m.State()
	res := l.install("peruser", win.KindStandardUser, UINone)
	check(t, res, outcome{exit: ExitSuccess, notLog: []string{"MSI_LUA"},
		log:    []string{"Running product '" + info.ProductCode + "' with user privileges: It's not assigned."},
		events: []uint32{EventTransactionBegin, EventInstallSucceeded, EventInstalled, EventTransactionEnd}, status: "0"})
	if !l.exists(`C:\Users\msilab-user\AppData\Local\MsiLab\PerUser\readme.txt`) {
		t.Errorf("per-user file not in the user's profile")
	}
	if _, err := l.m.Registry().GetValue(nil, `HKU\`+string(tok.User)+`\Software\MsiLab\PerUser`, "Version"); err != nil {
		t.Errorf("per-user registry value: %v", err)
	}
	if res.Events[0].UserSID != tok.User {
		t.Errorf("event user SID = %s, want the installing user's %s", res.Events[0].UserSID, tok.User)
	}
	check(t, l.uninstall("peruser", win.KindStandardUser), outcome{exit: ExitSuccess,
		events: []uint32{EventTransactionBegin, EventRemoveSucceeded, EventRemoved, EventTransactionEnd}, status: "0"})
	if l.exists(`C:\Users\msilab-user\AppData\Local\MsiLab`) {
		t.Errorf("uninstall left the per-user folder")
	}
	// The profile's own keys stay: removing the product's registration
	// never takes HKU\<SID>\Software\Microsoft with it, so that identical
	// runs leave identical hosts.
	if _, err := l.m.Registry().Subkeys(nil, `HKU\`+string(tok.User)+`\Software\Microsoft`); err != nil {
		t.Errorf("uninstall removed the profile's Software\\Microsoft: %v", err)
	}
	onlyBefore, onlyAfter := model.DiffState(before, l.m.State())
	for _, lines := range [][]string{onlyBefore, onlyAfter} {
		for _, s := range lines {
			if !strings.HasPrefix(s, "event ") && !strings.HasPrefix(s, "svc msiserver ") {
				t.Errorf("install + uninstall left a change: %s", s)
			}
		}
	}
}

// docs/evidence.md#E-temp-acl: C:\Windows\Temp loses write for SYSTEM, or gets a read-only ACE.
func TestTempACLGives2503Then2502(t *testing.T) {
	for _, tc := range []struct {
		name, sddl string
		pkg        string
		kind       win.TokenKind
	}{
		{"system denied write, elevated admin", tempDenySystemWrite, "permachine", win.KindAdminElevated},
		{"read-only ACEs, elevated admin", tempReadOnly, "permachine", win.KindAdminElevated},
		{"users lose write, standard user", tempNoUsers, "peruser", win.KindStandardUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, "")
			l.setSDDL(tempPath, tc.sddl)
			check(t, l.install(tc.pkg, tc.kind, UINone), chain2503)
			if l.exists(`C:\Program Files (x86)\MsiLab\PerMachine\readme.txt`) || l.exists(markerPath) {
				t.Errorf("a failed install left files or the marker")
			}
			info, _ := testpkgs.Lookup(tc.pkg)
			tok, _ := l.token(tc.kind)
			if _, ok := findProduct(l.m, info.ProductCode, tok.User); ok {
				t.Errorf("a failed install registered the product")
			}
		})
	}
	// SYSTEM's own %TEMP% is C:\Windows\Temp (G): its client fails first, with 1632.
	l := newLab(t, "")
	l.setSDDL(tempPath, tempDenySystemWrite)
	if res := l.install("permachine", win.KindSystem, UINone); res.ExitCode != ExitTempUnwritable {
		t.Errorf("SYSTEM context, SYSTEM denied write on Temp: exit %v, want 1632", res.ExitCode)
	}
	// Users losing write does not stop an elevated admin (BUILTIN\Administrators keeps full control).
	l = newLab(t, "")
	l.setSDDL(tempPath, tempNoUsers)
	if res := l.install("permachine", win.KindAdminElevated, UINone); res.ExitCode != ExitSuccess {
		t.Errorf("elevated admin with Users' write removed: exit %v, want 0", res.ExitCode)
	}
}

// docs/evidence.md#E-user-temp: per-user %TEMP% missing or unwritable.
func TestClientTempGives1632(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(l *testLab)
	}{
		{"missing", func(l *testLab) {
			must(l.t, l.m.FS().RemoveAll(win.SystemToken(), `C:\Users\msilab\AppData\Local\Temp`))
		}},
		{"unwritable", func(l *testLab) {
			l.setSDDL(`C:\Users\msilab\AppData\Local\Temp`, "D:P(D;OICI;0x116;;;BA)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, "")
			tc.break_(l)
			res := l.install("permachine", win.KindAdminElevated, UINone)
			check(t, res, outcome{exit: ExitTempUnwritable, notLog: []string{"MSI (s)", "Action start"}})
			if n := strings.Count(res.Log, "\r\n"); n > 3 {
				t.Errorf("log has %d lines, want it mostly empty:\n%s", n, res.Log)
			}
		})
	}
}

// docs/evidence.md#E-installer-acl and docs/evidence.md#E-installer-missing:
// C:\Windows\Installer denies SYSTEM write, or is missing; C:\Windows\Temp
// is missing (the 2203 variant).
func TestInstallerFolder(t *testing.T) {
	t.Run("denies SYSTEM write", func(t *testing.T) {
		l := newLab(t, "")
		l.setSDDL(installerDir, installerDenySystem)
		check(t, l.install("permachine", win.KindAdminElevated, UINone), chain2503)
	})
	t.Run("missing: 2755", func(t *testing.T) {
		l := newLab(t, "")
		must(t, l.m.FS().Move(win.SystemToken(), installerDir, installerDir+".msilab"))
		pkg := pkgDir + `\permachine.msi`
		res := l.install("permachine", win.KindAdminElevated, UINone)
		check(t, res, outcome{exit: ExitInstallFailure,
			messages: []Message{MsgServerError},
			log: []string{"Original package ==> " + pkg, "The system cannot open the device or file specified.",
				"MSI (s)", "MainEngineThread is returning 110", "The system cannot open the device or file specified.",
				"Note: 1: 2755 2: 110 3: " + pkg + " ",
				"DEBUG: Error 2755:  Server returned unexpected error 110 attempting to install package " + pkg + ".",
				"The error code is 2755. The arguments are: 110, " + pkg + ", ", "MainEngineThread is returning 1603"},
			notLog: []string{"Action start", "Note: 1: 2203 2: C:\\Windows\\Installer\\inprogressinstallinfo.ipi 3: -2147287037"},
			events: []uint32{EventInternalError}})
		if !slices.Contains(res.Rules, RuleInstallerMissing) {
			t.Errorf("rules %v lack %s", res.Rules, RuleInstallerMissing)
		}
		if !strings.HasSuffix(res.Events[0].Message, "The arguments are: 110, "+pkg+", ") {
			t.Errorf("10005: %q", res.Events[0].Message)
		}
	})
	t.Run("Temp missing: 2203", func(t *testing.T) {
		l := newLab(t, "")
		must(t, l.m.FS().Move(win.SystemToken(), tempPath, tempPath+".msilab"))
		res := l.install("permachine", win.KindAdminElevated, UINone)
		check(t, res, outcome{exit: ExitInstallFailure,
			messages: []Message{MsgCannotOpenDB},
			log: []string{"Server not locked: locking for product ", `.ipi 3: -2147287037 `, "Action start", "InstallInitialize.",
				`DEBUG: Error 2203:  Database: C:\Windows\Installer\inprogressinstallinfo.ipi. Cannot open database file. System error -2147287037`,
				"The arguments are: C:\\Windows\\Installer\\inprogressinstallinfo.ipi, -2147287037, ",
				"InstallInitialize. Return value 3.", "MainEngineThread is returning 1603"},
			notLog: []string{"Note: 1: 2502"},
			events: []uint32{EventTransactionBegin, EventInternalError, EventInstallFailed, EventInstalled, EventTransactionEnd}, status: "1603"})
		if !slices.Contains(res.Rules, RuleMarkerPathMissing) {
			t.Errorf("rules %v lack %s", res.Rules, RuleMarkerPathMissing)
		}
	})
	// The reported case: C:\Windows\TEMP had become a file.
	t.Run("Temp a file: 2203", func(t *testing.T) {
		l := newLab(t, "")
		must(t, l.m.FS().Move(win.SystemToken(), tempPath, tempPath+".msilab"))
		must(t, l.m.FS().WriteFile(win.SystemToken(), tempPath, []byte("not a folder")))
		res := l.install("permachine", win.KindAdminElevated, UINone)
		if res.ExitCode != ExitInstallFailure || !slices.Equal(res.Messages, []Message{MsgCannotOpenDB}) || !strings.Contains(res.Log, ".ipi 3: -2147287037 ") {
			t.Errorf("exit %v, messages %v\n%s", res.ExitCode, res.Messages, res.Log)
		}
	})
}

// docs/evidence.md#E-lua-silent: per-machine package, not elevated, silent.
func TestPerMachineNonElevatedSilentGives1925(t *testing.T) {
	for _, kind := range []win.TokenKind{win.KindAdminFiltered, win.KindStandardUser} {
		t.Run(string(kind), func(t *testing.T) {
			l := newLab(t, "")
			res := l.install("permachine", kind, UINone)
			check(t, res, outcome{exit: ExitInstallFailure, messages: []Message{MsgAllUsersPrivilege},
				log: []string{"MSI_LUA: Elevation prompt disabled for silent installs", "InstallInitialize.", "Error 1925.",
					"InstallInitialize. Return value 3.", "MainEngineThread is returning 1603"},
				notLog: []string{"Note: 1: 2502", "Note: 1: 2503"},
				events: []uint32{EventTransactionBegin, 11925, EventInstallFailed, EventInstalled, EventTransactionEnd}, status: "1603"})
		})
	}
}

// docs/evidence.md#E-lua-full-ui: per-machine package, UAC-filtered admin, full UI.
func TestFilteredAdminFullUIElevates(t *testing.T) {
	l := newLab(t, "")
	check(t, l.install("permachine", win.KindAdminFiltered, UIFull), outcome{exit: ExitSuccess,
		log:    []string{"Product installation will be elevated because user is admin and product is being installed per-machine."},
		notLog: []string{"MSI_LUA"},
		events: []uint32{EventTransactionBegin, EventInstallSucceeded, EventInstalled, EventTransactionEnd}, status: "0"})
	if !l.exists(`C:\Program Files (x86)\MsiLab\PerMachine\readme.txt`) {
		t.Errorf("elevated install did not write its file")
	}
}

// docs/evidence.md#E-lua-uninstall: silent uninstall of a per-machine product by a non-elevated user.
func TestNonElevatedUninstallGives1730(t *testing.T) {
	for _, kind := range []win.TokenKind{win.KindAdminFiltered, win.KindStandardUser} {
		t.Run(string(kind), func(t *testing.T) {
			l := newLab(t, "")
			if res := l.install("permachine", win.KindAdminElevated, UINone); res.ExitCode != 0 {
				t.Fatalf("install: %v", res.ExitCode)
			}
			check(t, l.uninstall("permachine", kind), outcome{exit: ExitInstallFailure, messages: []Message{MsgAdminToRemove},
				log:    []string{"InstallInitialize.", "Error 1730.", "InstallInitialize. Return value 3.", "-- Removal failed."},
				events: []uint32{EventTransactionBegin, 11730, EventRemoveFailed, EventRemoved, EventTransactionEnd}, status: "1603"})
			if !l.exists(`C:\Program Files (x86)\MsiLab\PerMachine\readme.txt`) {
				t.Errorf("a failed uninstall removed the product's file")
			}
		})
	}
}

// docs/evidence.md#E-disablemsi-2 and docs/evidence.md#E-disablemsi-1: the DisableMSI policy.
func TestDisableMSI(t *testing.T) {
	t.Run("2 rejects every install", func(t *testing.T) {
		l := newLab(t, "")
		l.setPolicy(policyKey, "DisableMSI", 2)
		check(t, l.install("permachine", win.KindAdminElevated, UINone), outcome{exit: ExitPackageRejected,
			log: []string{"Machine policy value 'DisableMsi' is 2", "MainEngineThread is returning 1625"}, notLog: []string{"MSI (s)"}})
	})
	t.Run("1 rejects a standard user's per-user install", func(t *testing.T) {
		l := newLab(t, "")
		l.setPolicy(policyKey, "DisableMSI", 1)
		info, _ := testpkgs.Lookup("peruser")
		check(t, l.install("peruser", win.KindStandardUser, UINone), outcome{exit: ExitPackageRejected,
			log: []string{"Machine policy value 'DisableMsi' is 1",
				"Rejecting product '" + info.ProductCode + "': Non-assigned apps are disabled for non-admin users.",
				"Note: 1: 1708 ", "-- Installation failed.", "Installation success or error status: 1625.", "MainEngineThread is returning 1625",
				"Info 1625.This installation is forbidden by system policy. Contact your system administrator."},
			notLog: []string{"Action start"},
			events: []uint32{EventInstallFailed, EventInstalled}, status: "1625"})
		if res := l.install("permachine", win.KindAdminElevated, UINone); res.ExitCode != ExitSuccess {
			t.Errorf("DisableMSI=1 and an elevated admin: exit %v, want 0", res.ExitCode)
		}
	})
	t.Run("absent behaves as 1 on Server, allows on client", func(t *testing.T) {
		// The log prints the value applied: 1 on Server though absent (R:
		// elastic/windows-installers#304), 0 on a client.
		for profile, want := range map[string]ExitCode{"server2022": ExitPackageRejected, "win10-22h2": ExitSuccess} {
			l := newLab(t, profile)
			res := l.install("peruser", win.KindStandardUser, UINone)
			if res.ExitCode != want {
				t.Errorf("%s: exit %v, want %v", profile, res.ExitCode, want)
			}
			line := fmt.Sprintf("Machine policy value 'DisableMsi' is %d", map[ExitCode]int{ExitPackageRejected: 1, ExitSuccess: 0}[want])
			if !strings.Contains(res.Log, line) {
				t.Errorf("%s: log lacks %q", profile, line)
			}
		}
	})
}

// docs/evidence.md#E-always-elevated: AlwaysInstallElevated in HKLM and HKCU.
func TestAlwaysInstallElevated(t *testing.T) {
	l := newLab(t, "")
	tok, _ := l.token(win.KindStandardUser)
	l.setPolicy(policyKey, "AlwaysInstallElevated", 1)
	// HKLM alone is not enough (D: both keys must be 1).
	if res := l.install("permachine", win.KindStandardUser, UINone); res.ExitCode != ExitInstallFailure {
		t.Errorf("HKLM only: exit %v, want 1603", res.ExitCode)
	}
	l.setPolicy(`HKU\`+string(tok.User)+`\SOFTWARE\Policies\Microsoft\Windows\Installer`, "AlwaysInstallElevated", 1)
	check(t, l.install("permachine", win.KindStandardUser, UINone), outcome{exit: ExitSuccess,
		log:    []string{"Machine policy value 'AlwaysInstallElevated' is 1", "User policy value 'AlwaysInstallElevated' is 1", "with elevated privileges"},
		events: []uint32{EventTransactionBegin, EventInstallSucceeded, EventInstalled, EventTransactionEnd}, status: "0"})
}

// docs/evidence.md#E-service-stopped and docs/evidence.md#E-service-disabled: the service.
func TestService(t *testing.T) {
	sys := win.SystemToken()
	t.Run("stopped manual starts on demand", func(t *testing.T) {
		l := newLab(t, "")
		must(t, l.m.Services().SetStartType(sys, "msiserver", win.StartDemand))
		st, _ := l.m.Services().Query("msiserver")
		if st.State != model.ServiceStopped {
			t.Fatalf("msiserver is %v before the install, want stopped", st.State)
		}
		res := l.install("permachine", win.KindAdminElevated, UINone)
		check(t, res, outcome{exit: ExitSuccess, events: []uint32{EventTransactionBegin, EventInstallSucceeded, EventInstalled, EventTransactionEnd}, status: "0"})
		if !slices.Contains(res.Rules, RuleServiceDemandStart) {
			t.Errorf("rules %v lack %s", res.Rules, RuleServiceDemandStart)
		}
	})
	for name, breakIt := range map[string]func(l *testLab){
		"disabled":     func(l *testLab) { must(t, l.m.Services().SetStartType(sys, "msiserver", win.StartDisabled)) },
		"unregistered": func(l *testLab) { must(t, l.m.Services().Delete(sys, "msiserver")) },
	} {
		t.Run(name, func(t *testing.T) {
			l := newLab(t, "")
			breakIt(l)
			res := l.install("permachine", win.KindAdminElevated, UINone)
			check(t, res, outcome{exit: ExitServiceFailure, messages: []Message{MsgServiceAccess}})
			if res.Log != "" {
				t.Errorf("a client that cannot reach the service wrote a log:\n%s", res.Log)
			}
		})
	}
}

// docs/evidence.md#E-mutex: the execution mutex.
func TestExecutionMutexGives1618(t *testing.T) {
	l := newLab(t, "")
	must(t, l.m.Mutexes().Acquire(mutexExecute, "msilab mutex.hold", time.Time{}))
	check(t, l.install("permachine", win.KindAdminElevated, UINone), outcome{exit: ExitAlreadyRunning,
		messages: []Message{MsgAnotherInstall},
		// R: microsoft/PowerToys#15191, the two lines one after the other.
		log:    []string{"]: Failed to grab execution mutex. System error 258.\r\nMSI (c) (", "]: MainEngineThread is returning 1618\r\n"},
		notLog: []string{"Grabbed execution mutex", "Error 1500."}})
	// With a UI, message 1500 and its product line (R: keybase/client#23980).
	tok, user := l.token(win.KindAdminElevated)
	res, err := Run(context.Background(), l.m, Request{Action: Install, Package: pkgDir + `\permachine.msi`, Token: tok, User: user, UI: UIFull})
	must(t, err)
	check(t, res, outcome{exit: ExitAlreadyRunning, messages: []Message{MsgAnotherInstall},
		log: []string{"Failed to grab execution mutex. System error 258.", "\r\nError 1500. Another installation is in progress.",
			"]: Product: MsiLab PerMachine -- Error 1500. Another installation is in progress.", "MainEngineThread is returning 1618"}})
	if owner, held := l.m.Mutexes().Holder(mutexExecute); !held || owner != "msilab mutex.hold" {
		t.Errorf("the other holder lost the mutex: %q %v", owner, held)
	}
	l.m.Mutexes().Release(mutexExecute)
	if res := l.install("permachine", win.KindAdminElevated, UINone); res.ExitCode != ExitSuccess {
		t.Errorf("after release: exit %v", res.ExitCode)
	}
}

// docs/evidence.md#E-custom-action: a deferred EXE custom action that fails.
func TestCustomActions(t *testing.T) {
	l := newLab(t, "")
	check(t, l.install("ca-ok", win.KindAdminElevated, UINone), outcome{exit: ExitSuccess,
		log: []string{"Executing op: ActionStart(Name=MsiLabDeferredOk,,)",
			"CustomActionSchedule(Action=MsiLabDeferredOk,ActionType=3122,Source=C:\\Windows\\system32\\cmd.exe,Target=/c exit 0,)",
			"InstallFinalize. Return value 1."},
		notLog: []string{"CustomAction MsiLabDeferredOk returned actual error code"},
		events: []uint32{EventTransactionBegin, EventInstallSucceeded, EventInstalled, EventTransactionEnd}, status: "0"})
	before := l.m.State()
	res := l.install("ca-fail", win.KindAdminElevated, UINone)
	check(t, res, outcome{exit: ExitInstallFailure, messages: []Message{MsgProgramFailed},
		log: []string{"Executing op: ActionStart(Name=MsiLabDeferredFail,,)", "CustomAction MsiLabDeferredFail returned actual error code 3",
			"Note: 1: 1722 2: MsiLabDeferredFail 3: C:\\Windows\\system32\\cmd.exe 4: /c exit 3 ",
			"Product: MsiLab CustomAction Fail -- Error 1722.", "Error 1722.", "Action ended", "InstallFinalize. Return value 3.",
			"Executing op: Header(", "INSTALL. Return value 3.", "MainEngineThread is returning 1603"},
		notLog: []string{"Note: 1: 2502", "MsiLabDeferredFail. Return value 3."},
		events: []uint32{EventTransactionBegin, 11722, EventInstallFailed, EventInstalled, EventTransactionEnd}, status: "1603"})
	onlyBefore, onlyAfter := model.DiffState(before, l.m.State())
	for _, s := range append(onlyBefore, onlyAfter...) {
		if !strings.HasPrefix(s, "event ") {
			t.Errorf("rollback left a change: %s", s)
		}
	}
}

func TestReinstall(t *testing.T) {
	l := newLab(t, "")
	l.install("permachine", win.KindAdminElevated, UINone)
	check(t, l.install("permachine", win.KindAdminElevated, UINone), outcome{exit: ExitSuccess,
		events: []uint32{EventTransactionBegin, EventConfigSucceeded, EventReconfigured, EventTransactionEnd}, status: "0"})
	// The product installed from another package (another package code): 1638.
	info, _ := testpkgs.Lookup("permachine")
	key := productsKey(win.SIDSystem, packGUID(info.ProductCode))
	must(t, l.m.Registry().SetValue(win.SystemToken(), key, model.SZ("PackageCode", packGUID("{00000000-1111-2222-3333-444444444444}"))))
	// R: hbons/SparkleShare#649, line by line.
	check(t, l.install("permachine", win.KindAdminElevated, UINone), outcome{exit: ExitProductVersion,
		log: []string{"\r\nAnother version of this product is already installed.  Installation of this version cannot continue.  " +
			"To configure or remove the existing version of this product, use Add/Remove Programs on the Control Panel.\r\n" + info.ProductCode + "\r\n",
			"]: Product: MsiLab PerMachine -- Configuration failed.\r\n\r\n",
			"]: Windows Installer reconfigured the product. Product Name: MsiLab PerMachine. Product Version: 1.0.0. Product Language: 1033. Manufacturer: MsiLab Testing. Reconfiguration success or error status: 1638.\r\n\r\n",
			"MainEngineThread is returning 1638"},
		notLog: []string{"Action start", "Note: 1: 1729"},
		events: []uint32{EventConfigFailed, EventReconfigured}, status: "1638"})
}

func TestUninstallUnknownProductAndBadPackages(t *testing.T) {
	l := newLab(t, "")
	check(t, l.uninstall("permachine", win.KindAdminElevated), outcome{exit: ExitUnknownProduct, log: []string{"MainEngineThread is returning 1605"}})
	sys := win.SystemToken()
	must(t, l.m.FS().WriteFile(sys, pkgDir+`\corrupt.msi`, []byte("this is not a compound file")))
	check(t, l.install("corrupt", win.KindAdminElevated, UINone), outcome{exit: ExitPackageInvalid, log: []string{"3: -2147286960"}})
	check(t, l.install("missing", win.KindAdminElevated, UINone), outcome{exit: ExitPackageOpenFailed, log: []string{`missing.msi 3: -2147287038`}})
	l.setSDDL(pkgDir+`\peruser.msi`, "D:P(A;;FA;;;SY)(A;;FA;;;BA)")
	check(t, l.install("peruser", win.KindStandardUser, UINone), outcome{exit: ExitPackageOpenFailed, log: []string{`peruser.msi 3: -2147287035`}})
	if _, err := Run(context.Background(), l.m, Request{Action: Install}); err == nil {
		t.Errorf("a request without token or package ran")
	}
}

var volatile = regexp.MustCompile(`\[\d\d:\d\d:\d\d:\d\d\d\]|\([0-9A-F]{2}:[0-9A-F]{2}\)|\d+:\d\d:\d\d|\d+/\d+/\d{4}|MSI[0-9A-F]{4}\.tmp|Process Id: \d+`)

// Runs from the same state give byte-identical logs; on machines whose
// clocks differ, identical apart from times and ids.
func TestLogsRepeat(t *testing.T) {
	l := newLab(t, "")
	l.setSDDL(tempPath, tempDenySystemWrite)
	l.m.Snapshot("before")
	first := l.install("permachine", win.KindAdminElevated, UINone).Log
	must(t, l.m.Restore("before"))
	if again := l.install("permachine", win.KindAdminElevated, UINone).Log; again != first {
		t.Errorf("same state, different logs:\n%s\n---\n%s", first, again)
	}
	other, err := model.New(model.Options{Clock: func() time.Time { return time.Date(2025, 3, 1, 17, 45, 0, 0, time.UTC) }})
	must(t, err)
	o := &testLab{t: t, m: other}
	sys := win.SystemToken()
	must(t, other.FS().MkdirAll(sys, pkgDir))
	data, _ := testpkgs.Bytes("permachine")
	must(t, other.FS().WriteFile(sys, pkgDir+`\permachine.msi`, data))
	o.setSDDL(tempPath, tempDenySystemWrite)
	third := o.install("permachine", win.KindAdminElevated, UINone).Log
	if a, b := volatile.ReplaceAllString(first, "#"), volatile.ReplaceAllString(third, "#"); a != b {
		t.Errorf("logs differ apart from times and ids:\n%s\n---\n%s", a, b)
	}
}

func TestRulesCarryEvidence(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.When == "" || r.Then == "" || r.Label == "" || r.Sources == "" || seen[r.ID] {
			t.Errorf("rule incomplete or repeated: %+v", r)
		}
		seen[r.ID] = true
		if !strings.ContainsAny(r.Label, "DRG") {
			t.Errorf("rule %s has no evidence label: %q", r.ID, r.Label)
		}
	}
}

func TestPackGUID(t *testing.T) {
	// R: Office 2007's ProductCode and its packed form, as published in many MSI cleanup guides.
	if got := packGUID("{90120000-0030-0000-0000-0000000FF1CE}"); got != "00002109030000000000000000F01FEC" {
		t.Errorf("packGUID = %s", got)
	}
	if g := "{12345678-ABCD-EF01-2345-6789ABCDEF01}"; unpackGUID(packGUID(g)) != g {
		t.Errorf("unpackGUID(packGUID(%s)) = %s", g, unpackGUID(packGUID(g)))
	}
}

// A package whose sequence runs ScheduleReboot or ForceReboot: with
// /norestart (REBOOT=ReallySuppress) the install completes and exits 3010,
// with event 1038 after a 1033 whose status is 0; a silent run without it
// exits 1641 (the installer restarts the machine); a package that asks for
// nothing exits 0 with /norestart. docs/evidence.md#E-reboot.
func TestRestartRequired(t *testing.T) {
	for _, action := range []string{"ScheduleReboot", "ForceReboot"} {
		t.Run(action, func(t *testing.T) {
			l := newLab(t, "win11-24h2")
			sys := win.SystemToken()
			must(t, l.m.FS().WriteFile(sys, pkgDir+`\reboot.msi`, testmsi.WithAction(t, "permachine", action, "NOT Installed", 6650)))
			tok, user := l.token(win.KindAdminElevated)
			req := Request{Action: Install, Package: pkgDir + `\reboot.msi`, Token: tok, User: user, UI: UINone, NoRestart: true}
			l.m.Snapshot("before")
			res, err := Run(context.Background(), l.m, req)
			must(t, err)
			if res.ExitCode != ExitSuccessRebootRequired || !slices.Contains(res.Rules, RuleRestart) {
				t.Fatalf("exit %v, rules %v", res.ExitCode, res.Rules)
			}
			if !strings.Contains(res.CommandLine, " /qn /norestart /L*v ") ||
				!strings.Contains(res.Log, "Property(S): REBOOT = ReallySuppress") ||
				!strings.Contains(res.Log, "MainEngineThread is returning 3010") ||
				!strings.Contains(res.Log, "Windows Installer requires a system restart. Product Name: MsiLab PerMachine.") {
				t.Fatalf("command line %q; log:\n%s", res.CommandLine, res.Log)
			}
			var ids []uint32
			for _, e := range res.Events {
				ids = append(ids, e.EventID)
				if e.EventID == EventInstalled && e.Data[3] != "0" {
					t.Errorf("1033's status: %q", e.Data[3])
				}
			}
			if i, j := slices.Index(ids, EventInstalled), slices.Index(ids, EventRestartRequired); i < 0 || j < i || !slices.Contains(ids, EventInstallSucceeded) {
				t.Fatalf("events %v", ids)
			}
			// Installed: the product is there, and a second install asks for no restart.
			if _, ok := findProduct(l.m, "{92281016-51D7-4D16-BEF2-82F4FB32D003}", tok.User); !ok {
				t.Fatal("the product is not registered")
			}
			again, err := Run(context.Background(), l.m, req)
			must(t, err)
			if again.ExitCode != ExitSuccess {
				t.Fatalf("reinstall: exit %v", again.ExitCode)
			}
			// Without /norestart a silent run restarts the machine: 1641.
			must(t, l.m.Restore("before"))
			req.NoRestart = false
			res, err = Run(context.Background(), l.m, req)
			must(t, err)
			if res.ExitCode != ExitRebootInitiated {
				t.Fatalf("without /norestart: exit %v", res.ExitCode)
			}
		})
	}
	// A package that asks for nothing: 0, with /norestart on the command line.
	l := newLab(t, "win11-24h2")
	tok, user := l.token(win.KindAdminElevated)
	res, err := Run(context.Background(), l.m, Request{Action: Install, Package: pkgDir + `\permachine.msi`, Token: tok, User: user, NoRestart: true})
	must(t, err)
	if res.ExitCode != ExitSuccess || slices.Contains(res.Rules, RuleRestart) {
		t.Fatalf("permachine: exit %v, rules %v", res.ExitCode, res.Rules)
	}
}

// A target the installing token cannot write (docs/evidence.md#E-target-acl):
// a folder it cannot create, or an existing folder that takes no new file
// from it, is Error 1303 with the folder; an existing file it cannot
// replace is Error 1310 with the system error and the file. Each rolls
// back to the state before.
func TestTargetDenied(t *testing.T) {
	const (
		msilab  = `C:\Program Files (x86)\MsiLab`
		product = msilab + `\PerMachine`
		deny    = "D:(D;OICI;0x116;;;SY)"
	)
	failed := func(msg Message, note string, text string) outcome {
		return outcome{exit: ExitInstallFailure, messages: []Message{msg},
			log:    []string{note, "Product: MsiLab PerMachine -- Error " + text, "Error " + text, "InstallFinalize. Return value 3.", "MainEngineThread is returning 1603"},
			events: []uint32{EventTransactionBegin, 10000 + uint32(msg), EventInstallFailed, EventInstalled, EventTransactionEnd}, status: "1603"}
	}
	dirText := "1303. The installer has insufficient privileges to access this directory: " + product + ".  The installation cannot continue."
	for _, tc := range []struct {
		name  string
		setup func(l *testLab)
		want  outcome
	}{
		{"the parent denies SYSTEM new folders", func(l *testLab) {
			must(t, l.m.FS().MkdirAll(win.SystemToken(), msilab))
			l.setSDDL(msilab, deny)
		}, failed(MsgDirPrivileges, "Note: 1: 1303 2: "+product+" ", dirText)},
		{"the product folder denies SYSTEM new files", func(l *testLab) {
			must(t, l.m.FS().MkdirAll(win.SystemToken(), product))
			l.setSDDL(product, deny)
		}, failed(MsgDirPrivileges, "Note: 1: 1303 2: "+product+" ", dirText)},
		{"the file denies SYSTEM write", func(l *testLab) {
			must(t, l.m.FS().MkdirAll(win.SystemToken(), product))
			must(t, l.m.FS().WriteFile(win.SystemToken(), product+`\readme.txt`, []byte("old")))
			l.setSDDL(product+`\readme.txt`, "D:(D;;0x116;;;SY)")
		}, failed(MsgFileWrite, "Note: 1: 1310 2: 5 3: "+product+`\readme.txt `,
			"1310. Error writing to file: "+product+`\readme.txt.  System error 5.`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, "")
			tc.setup(l)
			before := l.m.State()
			check(t, l.install("permachine", win.KindAdminElevated, UINone), tc.want)
			onlyBefore, onlyAfter := model.DiffState(before, l.m.State())
			for _, s := range append(onlyBefore, onlyAfter...) {
				if !strings.HasPrefix(s, "event ") && !strings.HasPrefix(s, "svc msiserver state=") { // started on demand
					t.Errorf("rollback left a change: %s", s)
				}
			}
		})
	}
}

// A custom action whose program is not there cannot be run: Error 1721
// with the action, the program and its command line, no exit code line,
// rollback (docs/evidence.md#E-custom-action-1721). With the program in
// place the engine no longer says it is missing (what it runs then is
// the simulator's limit, custom-action-emulated).
func TestCustomActionMissingProgram(t *testing.T) {
	const prog = `C:\Program Files (x86)\MsiLab\CaMissingExe\MsiLabSetup.exe`
	l := newLab(t, "")
	before := l.m.State()
	res := l.install("ca-missing-exe", win.KindAdminElevated, UINone)
	check(t, res, outcome{exit: ExitInstallFailure, messages: []Message{MsgProgramNotRun},
		log: []string{"CustomActionSchedule(Action=MsiLabDeferredMissingExe,ActionType=3122,Source=" + prog + ",Target=/quiet,)",
			"Note: 1: 1721 2: MsiLabDeferredMissingExe 3: " + prog + " 4: /quiet ",
			"Product: MsiLab CustomAction Missing Exe -- Error 1721. There is a problem with this Windows Installer package. A program required for this install to complete could not be run. " +
				"Contact your support personnel or package vendor. Action: MsiLabDeferredMissingExe, location: " + prog + ", command: /quiet ",
			"InstallFinalize. Return value 3.", "Executing op: Header(", "MainEngineThread is returning 1603"},
		notLog: []string{"returned actual error code"},
		events: []uint32{EventTransactionBegin, 11721, EventInstallFailed, EventInstalled, EventTransactionEnd}, status: "1603"})
	if !slices.Contains(res.Rules, RuleCustomActionMissing) {
		t.Errorf("rules %v lack %s", res.Rules, RuleCustomActionMissing)
	}
	onlyBefore, onlyAfter := model.DiffState(before, l.m.State())
	for _, s := range append(onlyBefore, onlyAfter...) {
		if !strings.HasPrefix(s, "event ") && !strings.HasPrefix(s, "svc msiserver state=") {
			t.Errorf("rollback left a change: %s", s)
		}
	}

	must(t, l.m.FS().MkdirAll(win.SystemToken(), prog[:strings.LastIndexByte(prog, '\\')]))
	must(t, l.m.FS().WriteFile(win.SystemToken(), prog, []byte("MZ")))
	res = l.install("ca-missing-exe", win.KindAdminElevated, UINone)
	if slices.Contains(res.Rules, RuleCustomActionMissing) || !slices.Contains(res.Rules, RuleCustomActionRun) {
		t.Errorf("with the program there: rules %v", res.Rules)
	}
	// Programs are looked up by full path only.
	for _, tc := range []struct {
		base           int
		source, target string
		want           string
	}{
		{50, prog, "/quiet", prog},
		{18, prog, "", prog},
		{34, `C:\Program Files (x86)\MsiLab\`, `"C:\Tools\a b.exe" --x`, `C:\Tools\a b.exe`},
		{34, `C:\Program Files (x86)\MsiLab\`, `bin\tool.exe /s`, `C:\Program Files (x86)\MsiLab\bin\tool.exe`},
		{34, `C:\Program Files (x86)\MsiLab\`, `cmd.exe /c del x`, ""}, // a PATH search: not modelled
		{2, "BinaryKey", "/s", ""},
		{1, "Dll", "Entry", ""},
	} {
		if got := caProgram(tc.base, tc.source, tc.target); got != tc.want {
			t.Errorf("caProgram(%d, %q, %q) = %q, want %q", tc.base, tc.source, tc.target, got, tc.want)
		}
	}
}

// The product's source list is registered; a removal by product code
// whose cached package is gone runs from the source, and with the source
// gone too fails with 1612 and the SOURCEMGMT lines, before any action
// (docs/evidence.md#E-source-missing).
func TestSourceResolution(t *testing.T) {
	l := newLab(t, "")
	info, _ := testpkgs.Lookup("permachine")
	check(t, l.install("permachine", win.KindAdminElevated, UINone), outcome{exit: ExitSuccess,
		events: []uint32{EventTransactionBegin, EventInstallSucceeded, EventInstalled, EventTransactionEnd}, status: "0"})
	key := productsKey(win.SIDSystem, packGUID(info.ProductCode)) + `\SourceList`
	for name, want := range map[string]string{"PackageName": "permachine.msi", "LastUsedSource": "n;1;" + pkgDir + `\`} {
		if v, err := l.m.Registry().GetValue(win.SystemToken(), key, name); err != nil || v.Str != want {
			t.Errorf("%s\\%s = %q, %v; want %q", key, name, v.Str, err, want)
		}
	}
	p, ok := findProduct(l.m, info.ProductCode, win.SIDSystem)
	if !ok {
		t.Fatal("not registered")
	}
	sys := win.SystemToken()
	must(t, l.m.FS().Remove(sys, p.localPackage))
	src, err := l.m.FS().ReadFile(sys, pkgDir+`\permachine.msi`)
	must(t, err)
	must(t, l.m.FS().Remove(sys, pkgDir+`\permachine.msi`))
	res := l.uninstall("permachine", win.KindAdminElevated)
	check(t, res, outcome{exit: ExitSourceAbsent, messages: []Message{MsgNoSource},
		log: []string{"MSI (s)", "Warning: Local cached package '" + p.localPackage + "' is missing.",
			"SOURCEMGMT: Trying source " + pkgDir + `\.`, "Note: 1: 2203 2: " + pkgDir + `\permachine.msi 3: -2147287038 `,
			"SOURCEMGMT: Failed to resolve source", "MainEngineThread is returning 1612", "MSI (c)", "MainEngineThread is returning 1612"},
		notLog: []string{"Action start"}})
	if !slices.Contains(res.Rules, RuleSourceAbsent) {
		t.Errorf("rules %v", res.Rules)
	}
	// The source back: the removal runs from it.
	must(t, l.m.FS().WriteFile(sys, pkgDir+`\permachine.msi`, src))
	res = l.uninstall("permachine", win.KindAdminElevated)
	if res.ExitCode != ExitSuccess || !strings.Contains(res.Log, "Package we're running from ==> "+pkgDir+`\permachine.msi`) {
		t.Errorf("removal from the source: exit %v\n%s", res.ExitCode, res.Log)
	}
}
