package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Where Windows records what the pending checks look for
// (docs/evidence.md#E-pending-reboot, docs/evidence.md#E-marker).
const (
	markerPath        = `C:\Windows\Installer\inprogressinstallinfo.ipi`
	inProgressKey     = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress`
	executeMutex      = `Global\_MSIExecute`
	cbsRebootKey      = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending`
	wuRebootKey       = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired`
	sessionManagerKey = `HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`
)

// reads is what one batch brought back.
type reads struct {
	info     ops.HostInfo
	health   ops.HostHealth
	admin    ops.User
	std      ops.User
	rights   ops.UserRights
	svc      ops.Service
	marker   ops.PathInfo
	progress ops.RegistryKey
	mutex    ops.Mutex
	cbs, wu  ops.RegistryKey
	renames  ops.RegistryValue
	errs     map[string]error // per check, a read that failed
}

// read sends every read but the faults' in one batch.
func (c *checker) read(ctx context.Context, s lab.Session) (*reads, error) {
	spec := c.h.Spec
	batch := []ops.Op{
		ops.MustNew(ops.OpHostInfo, nil),
		ops.MustNew(ops.OpHostHealth, nil),
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: bareUser(spec.User)}),
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: spec.StandardUser}),
		ops.MustNew(ops.OpUserRights, ops.UserArgs{Name: spec.StandardUser}),
		ops.MustNew(ops.OpServiceGet, ops.ServiceArgs{Name: "msiserver"}),
		ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: markerPath}),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: inProgressKey}),
		ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: executeMutex}),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: cbsRebootKey}),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: wuRebootKey}),
		ops.MustNew(ops.OpRegistryGet, ops.RegistryValueArgs{Path: sessionManagerKey, Name: "PendingFileRenameOperations"}),
	}
	out, err := s.RunBatch(ctx, batch)
	if err != nil {
		return nil, err
	}
	rd := &reads{errs: map[string]error{}}
	into := []struct {
		check string
		v     any
	}{
		{CheckAdmin, &rd.info}, {CheckPowerShell, &rd.health}, {CheckAdmin, &rd.admin}, {CheckLabUser, &rd.std},
		{CheckLogon, &rd.rights}, {CheckMsiserver, &rd.svc}, {CheckPending, &rd.marker}, {CheckPending, &rd.progress},
		{CheckPending, &rd.mutex}, {CheckReboot, &rd.cbs}, {CheckReboot, &rd.wu}, {CheckReboot, &rd.renames},
	}
	for i, d := range into {
		if err := out[i].Decode(d.v); err != nil && rd.errs[d.check] == nil {
			rd.errs[d.check] = err
		}
	}
	if err := rd.errs[CheckPowerShell]; err != nil { // host.health feeds these too
		for _, ch := range []string{CheckWinRM, CheckDisk, CheckClock} {
			rd.errs[ch] = err
		}
	}
	if err := rd.errs[CheckAdmin]; err != nil {
		rd.errs[CheckBuild] = err
	}
	return rd, nil
}

// readFailed adds a failed row when the check's read failed.
func (c *checker) readFailed(rd *reads, check string) bool {
	if err := rd.errs[check]; err != nil {
		c.add(check, Failed, "could not read: "+err.Error(), "run msilab doctor again; if it persists, run the op by hand: msilab op")
		return true
	}
	return false
}

func bareUser(user string) string {
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if i := strings.IndexByte(user, '@'); i >= 0 {
		user = user[:i]
	}
	return user
}

// admin: WinRM's account must be an administrator with its full token
// (docs/evidence.md#E-remote-uac).
func (c *checker) admin(rd *reads) {
	if c.readFailed(rd, CheckAdmin) {
		return
	}
	switch {
	case rd.info.Elevated:
		c.add(CheckAdmin, OK, rd.info.User+" has an elevated administrator token", "")
	case rd.admin.Admin:
		c.add(CheckAdmin, Failed, rd.info.User+" is an administrator but its token over WinRM is UAC-filtered",
			`reg add HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f`)
	default:
		c.add(CheckAdmin, Failed, rd.info.User+" is not an administrator: msilab injects faults and installs per-machine packages as an administrator",
			fmt.Sprintf("Add-LocalGroupMember -SID S-1-5-32-544 -Member %s (or name a local administrator in lab.yaml's user)", bareUser(c.h.Spec.User)))
	}
}

// powershell: 5.1 or later, in FullLanguage mode.
func (c *checker) powershell(rd *reads) {
	if c.readFailed(rd, CheckPowerShell) {
		return
	}
	h := rd.health
	var major, minor int
	fmt.Sscanf(h.PSVersion, "%d.%d", &major, &minor)
	switch {
	case major < 5 || (major == 5 && minor < 1):
		c.add(CheckPowerShell, Failed, "Windows PowerShell "+h.PSVersion+": msilab's scripts need 5.1",
			"install Windows Management Framework 5.1")
	case h.LanguageMode != "FullLanguage":
		c.add(CheckPowerShell, Failed, "PowerShell runs in "+h.LanguageMode+" mode: msilab's module needs FullLanguage",
			"exempt C:\\ProgramData\\msilab from the WDAC/AppLocker policy that constrains PowerShell on the lab host")
	default:
		c.add(CheckPowerShell, OK, "Windows PowerShell "+h.PSVersion+", FullLanguage", "")
	}
}

// What msilab sends (docs/evidence.md#E-winrm-limits): envelopes of up
// to 500 KB, one shell per host and process.
const (
	needEnvelopeKB = 500
	needShells     = 2
	needMemoryMB   = 512
)

func (c *checker) winrm(rd *reads) {
	if c.readFailed(rd, CheckWinRM) {
		return
	}
	w := rd.health.WinRM
	var bad, warn []string
	if w.MaxEnvelopeSizeKB < needEnvelopeKB {
		bad = append(bad, fmt.Sprintf("MaxEnvelopeSizekb is %d, msilab sends up to %d", w.MaxEnvelopeSizeKB, needEnvelopeKB))
	}
	if w.MaxShellsPerUser < needShells {
		bad = append(bad, fmt.Sprintf("MaxShellsPerUser is %d, msilab opens up to %d", w.MaxShellsPerUser, needShells))
	}
	if w.MaxMemoryPerShellMB != 0 && w.MaxMemoryPerShellMB < needMemoryMB {
		warn = append(warn, fmt.Sprintf("MaxMemoryPerShellMB is %d, an install may need %d", w.MaxMemoryPerShellMB, needMemoryMB))
	}
	fix := fmt.Sprintf(`winrm set winrm/config @{MaxEnvelopeSizekb="%d"}; winrm set winrm/config/winrs @{MaxShellsPerUser="30";MaxMemoryPerShellMB="1024"}`, needEnvelopeKB)
	switch {
	case len(bad) > 0:
		c.add(CheckWinRM, Failed, strings.Join(append(bad, warn...), "; "), fix)
	case len(warn) > 0:
		c.add(CheckWinRM, Warning, strings.Join(warn, "; "), fix)
	default:
		c.add(CheckWinRM, OK, fmt.Sprintf("MaxEnvelopeSizekb %d, MaxShellsPerUser %d, MaxMemoryPerShellMB %d",
			w.MaxEnvelopeSizeKB, w.MaxShellsPerUser, w.MaxMemoryPerShellMB), "")
	}
}

// labUser: the standard-user context's account exists, is enabled and is
// not an administrator.
func (c *checker) labUser(rd *reads) {
	if c.readFailed(rd, CheckLabUser) {
		return
	}
	name := c.h.Spec.StandardUser
	ensure := fmt.Sprintf("msilab op user.ensure '{\"name\":\"%s\",\"password\":\"…\"}' --endpoint … (msilab run also creates it)", name)
	switch u := rd.std; {
	case !u.Exists:
		c.add(CheckLabUser, Failed, "the lab user "+name+" does not exist", ensure)
	case !u.Enabled:
		c.add(CheckLabUser, Failed, "the lab user "+name+" is disabled", "Enable-LocalUser -Name "+name)
	case u.Admin:
		c.add(CheckLabUser, Failed, "the lab user "+name+" is an administrator: the standard-user context would not be one",
			"Remove-LocalGroupMember -SID S-1-5-32-544 -Member "+name)
	default:
		c.add(CheckLabUser, OK, name+" exists, enabled, not an administrator", "")
	}
}

// logonRights: the non-elevated contexts log the lab user on
// interactively, which needs "Allow log on locally" and no "Deny log on
// locally" (docs/evidence.md#E-batch-logon).
func (c *checker) logonRights(rd *reads) {
	if c.readFailed(rd, CheckLogon) {
		return
	}
	name := c.h.Spec.StandardUser
	r := rd.rights
	switch {
	case !r.Exists:
		c.add(CheckLogon, Skipped, "no lab user to look at", "")
	case slices.Contains(r.Rights, "SeDenyInteractiveLogonRight"):
		c.add(CheckLogon, Failed, name+" is denied \"Log on locally\": the standard-user context cannot log it on",
			"secpol.msc → Local Policies → User Rights Assignment → Deny log on locally: remove "+name+" (and its groups)")
	case !slices.Contains(r.Rights, "SeInteractiveLogonRight"):
		c.add(CheckLogon, Failed, name+" does not hold \"Allow log on locally\" (Windows grants it to Users): the standard-user context cannot log it on",
			"secpol.msc → Local Policies → User Rights Assignment → Allow log on locally: add "+name+" or Users")
	default:
		c.add(CheckLogon, OK, name+" may log on locally", "")
	}
}

// msiserver: the service has its OS profile's configuration.
func (c *checker) msiserver(rd *reads) {
	if c.readFailed(rd, CheckMsiserver) {
		return
	}
	p, err := win.LookupProfile(c.h.Spec.OS)
	if err != nil {
		c.add(CheckMsiserver, Failed, err.Error(), "fix os: in lab.yaml")
		return
	}
	want, s := p.Msiserver, rd.svc
	if !s.Exists {
		c.add(CheckMsiserver, Failed, "the Windows Installer service (msiserver) is not registered", "msiexec /regserver")
		return
	}
	var diff []string
	if s.Start != int(want.Start) {
		diff = append(diff, fmt.Sprintf("start type %s, %s has %s", win.StartType(s.Start), p.Name, want.Start))
	}
	if win.ServiceText(s.ImagePath) != win.ServiceText(want.ImagePath) { // by meaning: docs/evidence.md#E-regserver-config
		diff = append(diff, fmt.Sprintf("image path %q, want %q", s.ImagePath, want.ImagePath))
	}
	if win.ServiceAccount(s.ObjectName) != win.ServiceAccount(want.ObjectName) {
		diff = append(diff, fmt.Sprintf("account %q, want %q", s.ObjectName, want.ObjectName))
	}
	if !slices.EqualFunc(s.Dependencies, want.DependOnService, strings.EqualFold) {
		diff = append(diff, fmt.Sprintf("dependencies %v, want %v", s.Dependencies, want.DependOnService))
	}
	if len(diff) > 0 {
		c.add(CheckMsiserver, Failed, "msiserver differs from "+p.Name+"'s default: "+strings.Join(diff, "; "),
			"msilab remediate --host … (or: sc.exe config msiserver start= demand; msiexec /regserver)")
		return
	}
	c.add(CheckMsiserver, OK, "msiserver has "+p.Name+"'s default configuration ("+want.Start.String()+")", "")
}

// faults: no variant of any fault of the catalog is present, for any
// context (negative controls aside).
func (c *checker) faults(ctx context.Context, s lab.Session) {
	spec := c.h.Spec
	var targets []faults.Target
	for _, ctxName := range []string{ops.ContextAdminElevated, ops.ContextStandardUser, ops.ContextSystem} {
		targets = append(targets, faults.Target{AdminUser: bareUser(spec.User), StandardUser: spec.StandardUser, Context: ctxName})
	}
	ps, err := faults.DetectAll(ctx, s.RunBatch, faults.Names(), targets)
	if err != nil {
		c.add(CheckFaults, Failed, "could not probe the faults: "+err.Error(), "run msilab doctor again")
		return
	}
	found, unchecked := 0, 0
	for _, p := range ps {
		info, _ := faults.Lookup(p.Fault)
		what := p.Fault
		if string(p.Params) != "{}" {
			what += " " + string(p.Params)
		}
		switch {
		case p.Err != nil:
			unchecked++
			c.add(CheckFaults, Warning, what+" could not be checked: "+p.Err.Error(), "see the fault found with it, if any")
		case p.Present && !info.NegativeControl:
			found++
			c.add(CheckFaults, Failed, fmt.Sprintf("%s is present (%s context): %s", what, p.Target.Context, p.Evidence),
				"msilab remediate --host … (or revert the host to its clean snapshot: msilab revert --snapshot --lab … --host "+spec.Name+")")
		}
	}
	if found == 0 && unchecked == 0 {
		c.add(CheckFaults, OK, fmt.Sprintf("none of the %d faults is present (%d variant checks)", len(faults.Names()), len(ps)), "")
	}
}

// pending: no install runs, is in progress or suspended.
func (c *checker) pending(rd *reads) {
	if c.readFailed(rd, CheckPending) {
		return
	}
	var found []string
	if rd.mutex.Held {
		found = append(found, executeMutex+" is held: an install is running")
	}
	if rd.marker.Exists {
		found = append(found, markerPath+" exists: an install is in progress or was suspended")
	}
	if rd.progress.Exists {
		found = append(found, inProgressKey+" exists: an install is in progress or was suspended")
	}
	if len(found) > 0 {
		c.add(CheckPending, Failed, strings.Join(found, "; "),
			"let the install finish, or restart the host; a suspended install is rolled back by running msiexec again, or revert the host to its snapshot")
		return
	}
	c.add(CheckPending, OK, "no install running, in progress or suspended", "")
}

// reboot: Windows does not wait for a reboot.
func (c *checker) reboot(rd *reads) {
	if c.readFailed(rd, CheckReboot) {
		return
	}
	var found []string
	if rd.cbs.Exists {
		found = append(found, "Component Based Servicing\\RebootPending")
	}
	if rd.wu.Exists {
		found = append(found, "WindowsUpdate\\Auto Update\\RebootRequired")
	}
	if rd.renames.Exists && (len(rd.renames.Strings) > 0 || len(rd.renames.Binary) > 0) {
		found = append(found, "Session Manager\\PendingFileRenameOperations")
	}
	if len(found) > 0 {
		c.add(CheckReboot, Failed, "a reboot is pending: "+strings.Join(found, ", "),
			"Restart-Computer, then take the clean snapshot again")
		return
	}
	c.add(CheckReboot, OK, "no reboot pending", "")
}

func (c *checker) disk(rd *reads) {
	if c.readFailed(rd, CheckDisk) {
		return
	}
	h := rd.health
	free := fmt.Sprintf("%s free of %s on %s", bytesText(h.FreeBytes), bytesText(h.SizeBytes), h.SystemDrive)
	fix := "free space on " + h.SystemDrive + " (cleanmgr, Dism /Online /Cleanup-Image /StartComponentCleanup) or grow the VM's disk"
	switch {
	case h.FreeBytes < c.opts.MinFreeBytes:
		c.add(CheckDisk, Failed, free+", msilab needs "+bytesText(c.opts.MinFreeBytes), fix)
	case h.FreeBytes < 4*c.opts.MinFreeBytes:
		c.add(CheckDisk, Warning, free, fix)
	default:
		c.add(CheckDisk, OK, free, "")
	}
}

func bytesText(n uint64) string {
	return fmt.Sprintf("%.1f GiB", float64(n)/float64(1<<30))
}

func (c *checker) clock(rd *reads) {
	if c.readFailed(rd, CheckClock) {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, rd.health.ClockUTC)
	if err != nil {
		c.add(CheckClock, Warning, "the host's clock reads "+rd.health.ClockUTC, "")
		return
	}
	skew := t.Sub(c.opts.Now())
	if skew.Abs() > c.opts.MaxSkew {
		c.add(CheckClock, Warning, fmt.Sprintf("the host's clock is %s from this machine's (%s)", skew.Round(time.Second), t.Format(time.RFC3339)),
			"w32tm /resync /force on the host (and check both machines' time sources); events and logs will carry its time")
		return
	}
	c.add(CheckClock, OK, fmt.Sprintf("within %s of this machine's", c.opts.MaxSkew), "")
}

// snapshot: the host's snapshot exists, for its driver.
func (c *checker) snapshot(ctx context.Context) {
	spec := c.h.Spec.Snapshot
	err := c.h.CheckSnapshot(ctx)
	switch {
	case errors.Is(err, lab.ErrNoDriver):
		c.add(CheckSnapshot, Warning, "driver none: no snapshot; --revert auto undoes cells by the journal only",
			"add a snapshot block (driver vsphere, libvirt or hyperv) to the host in lab.yaml")
	case errors.Is(err, lab.ErrNoSnapshot):
		c.add(CheckSnapshot, Failed, err.Error(),
			fmt.Sprintf("take a snapshot named %s of the clean VM (after the Packer build), or name an existing one in lab.yaml's snapshot.name", spec.Name))
	case err != nil:
		c.add(CheckSnapshot, Failed, err.Error(), "check the snapshot block's settings and the environment variables they name")
	default:
		c.add(CheckSnapshot, OK, fmt.Sprintf("%s:%s", spec.Driver, spec.Name), "")
	}
}

// build: the host is the Windows build its OS profile describes.
func (c *checker) build(rd *reads) {
	if c.readFailed(rd, CheckBuild) {
		return
	}
	p, err := win.LookupProfile(c.h.Spec.OS)
	if err != nil {
		c.add(CheckBuild, Failed, err.Error(), "fix os: in lab.yaml")
		return
	}
	got := buildNumber(rd.info.Build)
	if got != p.Build {
		fix := "set os: in lab.yaml to the host's profile"
		for _, q := range win.Profiles() {
			if q.Build == got {
				fix = "set os: " + q.Name + " in lab.yaml (the profile of build " + fmt.Sprint(got) + ")"
			}
		}
		c.add(CheckBuild, Failed, fmt.Sprintf("the host is build %s, lab.yaml says %s (build %d)", rd.info.Build, p.Name, p.Build), fix)
		return
	}
	c.add(CheckBuild, OK, fmt.Sprintf("build %s matches %s", rd.info.Build, p.Name), "")
}

// buildNumber is the third part of "10.0.<build>.<ubr>".
func buildNumber(version string) int {
	parts := strings.Split(version, ".")
	if len(parts) < 3 {
		return -1
	}
	var n int
	if _, err := fmt.Sscanf(parts[2], "%d", &n); err != nil {
		return -1
	}
	return n
}
