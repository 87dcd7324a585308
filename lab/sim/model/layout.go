package model

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"github.com/msilab/msilab/win"
	"strconv"
	"strings"
	"time"
)

// Options configure a new machine.
type Options struct {
	// Profile is an OS profile name (Profiles); "" is DefaultProfile.
	Profile string
	// ProfileData, when set, is the profile itself (one read from a file,
	// such as a captured one) and Profile is ignored.
	ProfileData *win.Profile
	// Hostname; "" takes the profile's. Upper-cased, as NetBIOS names are.
	Hostname string
	// AdminUser and AdminPassword: the administrator WinRM accepts.
	// "" gives "msilab" / "Msilab-Passw0rd!". "Administrator" is RID 500.
	AdminUser, AdminPassword string
	// Clock replaces the model clock (default: the profile's clock_start
	// plus one millisecond per read, so runs repeat exactly).
	Clock func() time.Time
	// Locale is the display language of Windows' messages: "" and "en-US"
	// are English, "de-DE" German (Locales). It changes the text of event
	// messages, never their structured data.
	Locale string
}

// Locales are the display languages a simulated machine may have.
var Locales = []string{"en-US", "de-DE"}

// Folder ACLs outside the profile files. All G unless noted: shapes
// from icacls output quoted in public reports, to confirm on real Windows.
const (
	// C:\ (R, msys2/msys2-installer#51; the integrity label ACE is not modelled).
	rootSDDL = "O:" + string(win.SIDTrustedInstaller) + "G:" + string(win.SIDTrustedInstaller) +
		"D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)(A;OICIIO;0x1301bf;;;AU)(A;;0x4;;;AU)"
	// C:\Windows and C:\Windows\System32: TrustedInstaller owns; SYSTEM and
	// Administrators have Modify on the folder, Full on children.
	windowsSDDL = "O:" + string(win.SIDTrustedInstaller) + "G:" + string(win.SIDTrustedInstaller) +
		"D:PAI(A;OICIIO;GA;;;CO)(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;SY)(A;OICIIO;GA;;;BA)(A;;0x1301bf;;;BA)" +
		"(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;BU)(A;CIIO;GA;;;" + string(win.SIDTrustedInstaller) + ")(A;;FA;;;" +
		string(win.SIDTrustedInstaller) + ")(A;;0x1200a9;;;AC)(A;OICIIO;GXGR;;;AC)"
	// System binaries (R, icacls of System32\mmc.exe quoted by moonpoint.com).
	systemFileSDDL = "O:" + string(win.SIDTrustedInstaller) + "G:" + string(win.SIDTrustedInstaller) +
		"D:PAI(A;;FA;;;" + string(win.SIDTrustedInstaller) + ")(A;;0x1200a9;;;BA)(A;;0x1200a9;;;SY)" +
		"(A;;0x1200a9;;;BU)(A;;0x1200a9;;;AC)(A;;0x1200a9;;;S-1-15-2-2)"
	// C:\Program Files and (x86) (R-ish: listing in p0dalirius/smbclient-ng#118).
	programFilesSDDL = "O:" + string(win.SIDTrustedInstaller) + "G:" + string(win.SIDTrustedInstaller) +
		"D:PAI(A;;FA;;;" + string(win.SIDTrustedInstaller) + ")(A;CIIO;GA;;;" + string(win.SIDTrustedInstaller) +
		")(A;;0x1301bf;;;SY)(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)" +
		"(A;OICIIO;GXGR;;;BU)(A;OICIIO;GA;;;CO)(A;;0x1200a9;;;AC)(A;OICIIO;GXGR;;;AC)"
	// C:\ProgramData: users may create files and folders (CI write data/append/EA/attributes;
	// docs/evidence.md#E-programdata-acl).
	programDataSDDL = "O:SYG:SYD:PAI(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICIIO;GA;;;BA)(A;;FA;;;BA)" +
		"(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;BU)(A;CIIO;GA;;;CO)(A;CI;0x116;;;BU)"
	// C:\Users and C:\Users\Public.
	usersSDDL = "O:SYG:SYD:PAI(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICIIO;GA;;;BA)(A;;FA;;;BA)" +
		"(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;WD)(A;;0x1200a9;;;WD)"
	publicSDDL = "O:SYG:SYD:AI(A;OICI;0x1301bf;;;IU)(A;OICI;0x1301bf;;;SU)(A;OICI;0x1301bf;;;S-1-5-3)"
)

// New builds a fresh machine from an OS profile.
func New(opts Options) (*Machine, error) {
	if opts.Profile == "" {
		opts.Profile = win.DefaultProfile
	}
	p, err := win.LookupProfile(opts.Profile)
	if opts.ProfileData != nil {
		p, err = *opts.ProfileData, nil
	}
	if err != nil {
		return nil, err
	}
	if opts.Hostname == "" {
		opts.Hostname = p.Hostname
	}
	if opts.AdminUser == "" {
		opts.AdminUser = "msilab"
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = "Msilab-Passw0rd!"
	}
	host := strings.ToUpper(opts.Hostname)
	m := newBareMachine(host, machineDomain(host), p.ClockStart)
	m.profile = p
	m.clock = opts.Clock
	switch opts.Locale {
	case "", "en-US":
		m.locale = "en-US"
	case "de-DE":
		m.locale = opts.Locale
	default:
		return nil, fmt.Errorf("model: unknown locale %q (known: %s)", opts.Locale, strings.Join(Locales, ", "))
	}
	if err := m.build(opts); err != nil {
		return nil, err
	}
	return m, nil
}

// machineDomain derives a stable machine SID from the hostname (G: real
// machine SIDs are random at setup; stable ones keep runs reproducible).
func machineDomain(host string) win.SID {
	h := sha256.Sum256([]byte("msilab machine " + host))
	n := func(i int) uint32 { return binary.BigEndian.Uint32(h[i:]) | 0x10000000 }
	return win.MachineSIDPrefix(n(0), n(4), n(8))
}

func (m *Machine) build(opts Options) error {
	p := m.profile
	m.addDrive("C:", rootSDDL)
	dirs := []struct {
		path, sddl string
		attrs      FileAttributes
	}{
		{`C:\Windows`, windowsSDDL, 0},
		{`C:\Windows\System32`, windowsSDDL, 0},
		{`C:\Windows\Temp`, p.TempSDDL, 0},
		{`C:\Windows\Installer`, p.InstallerSDDL, AttrHidden | AttrSystem},
		{`C:\Program Files`, programFilesSDDL, AttrReadOnly},
		{`C:\Program Files (x86)`, programFilesSDDL, AttrReadOnly},
		{`C:\ProgramData`, programDataSDDL, AttrHidden},
		{`C:\Users`, usersSDDL, AttrReadOnly},
		{`C:\Users\Public`, publicSDDL, AttrReadOnly},
	}
	for _, d := range dirs {
		if _, err := m.setupDir(d.path, d.sddl, d.attrs); err != nil {
			return err
		}
	}
	for _, f := range []string{"msiexec.exe", "msi.dll"} {
		data := []byte("MZ msilab model of " + f + " " + p.MsiVersion)
		if _, err := m.setupFile(`C:\Windows\System32\`+f, data, systemFileSDDL, p.MsiVersion, 0); err != nil {
			return err
		}
	}
	if err := m.buildRegistry(); err != nil {
		return err
	}
	m.st.svc["rpcss"] = &svcRun{state: ServiceRunning, pid: m.st.nextPID}
	m.st.nextPID += 4
	// The built-in Administrator has no profile until it logs on.
	if _, err := m.ensureUser(UserSpec{Name: "Administrator", Admin: true}, 500, false, false); err != nil {
		return err
	}
	m.st.users["administrator"].Enabled = p.BuiltinAdminEnabled
	_, err := m.ensureUser(UserSpec{Name: opts.AdminUser, Password: opts.AdminPassword, Admin: true}, 0, true, true)
	return err
}

func (m *Machine) buildRegistry() error {
	p := m.profile
	sys := win.SystemToken()
	cv := `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	keys := map[string][]Value{
		cv: {SZ("ProductName", p.DisplayName), SZ("EditionID", p.EditionID),
			SZ("InstallationType", p.InstallationType), SZ("CurrentBuild", itoa(p.Build)),
			SZ("CurrentBuildNumber", itoa(p.Build)), DWORD("UBR", uint32(p.UBR)),
			SZ("ReleaseId", p.ReleaseID), SZ("CurrentVersion", "6.3"),
			DWORD("CurrentMajorVersionNumber", 10), DWORD("CurrentMinorVersionNumber", 0),
			SZ("SystemRoot", `C:\Windows`)},
		cv + `\ProfileList`: nil,
		`HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`: nil,
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion`: {SZ("ProgramFilesDir", `C:\Program Files`),
			SZ("ProgramFilesDir (x86)", `C:\Program Files (x86)`), SZ("CommonFilesDir", `C:\Program Files\Common Files`)},
		`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer`:              {SZ("InstallerLocation", `C:\Windows\system32\`)},
		`HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`:       {SZ("ComputerName", m.hostname)},
		`HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName`: {SZ("ComputerName", m.hostname)},
		`HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment`: {
			ExpandSZ("TEMP", `%SystemRoot%\TEMP`), ExpandSZ("TMP", `%SystemRoot%\TEMP`),
			ExpandSZ("windir", `%SystemRoot%`)},
		`HKU\.DEFAULT`: nil,
		`HKU\` + string(win.SIDSystem) + `\Environment`: {ExpandSZ("TEMP", `%USERPROFILE%\AppData\Local\Temp`), ExpandSZ("TMP", `%USERPROFILE%\AppData\Local\Temp`)},
	}
	if p.DisplayVersion != "" {
		keys[cv] = append(keys[cv], SZ("DisplayVersion", p.DisplayVersion))
	}
	for name, v := range p.Policies {
		k := `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`
		keys[k] = append(keys[k], DWORD(name, v))
	}
	for k, vals := range keys {
		if err := m.createKey(sys, k); err != nil {
			return err
		}
		for _, v := range vals {
			if err := m.setValue(sys, k, v); err != nil {
				return err
			}
		}
	}
	m.writeConfig("msiserver", p.Msiserver)
	m.writeConfig("RpcSs", p.RpcSs)
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// Hostname is the machine's computer name.
func (m *Machine) Hostname() string { return m.hostname }

// Domain is the machine SID (account domain), S-1-5-21-a-b-c.
func (m *Machine) Domain() win.SID { return m.domain }

// Profile is the OS profile the machine was built from.
func (m *Machine) Profile() win.Profile { return m.profile }

// Locale is the display language of the machine's messages (Options.Locale).
func (m *Machine) Locale() string { return m.locale }

// LookupSID names a SID as Windows displays it (BUILTIN\Users,
// HOST\msilab, ...); an unknown SID prints as itself.
func (m *Machine) LookupSID(s win.SID) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookupSID(s)
}
