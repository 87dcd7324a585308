package remediation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// Finding IDs: the causes the engine knows, each with the built-in
// scenario that reproduces it and the fixes that address it.
const (
	FindingTempACL              = "temp-acl"
	FindingInstallerACL         = "installer-acl"
	FindingInstallerMissing     = "installer-missing"
	FindingUserTempMissing      = "user-temp-missing"
	FindingUserTempUnwritable   = "user-temp-unwritable"
	FindingServiceDisabled      = "service-disabled"
	FindingServiceUnregistered  = "service-unregistered"
	FindingServiceUnresponsive  = "service-unresponsive"
	FindingServiceMisconfigured = "service-misconfigured"
	FindingDisableMSIAlways     = "disable-msi-always"
	FindingDisableMSINonAdmin   = "disable-msi-non-admin"
	FindingMutexHeld            = "mutex-held"
	FindingNotElevated          = "per-machine-not-elevated"
	FindingUninstallNotElevated = "uninstall-not-elevated"
	FindingCustomAction         = "custom-action-failed"
	// ACLs broader than the OS default: a security finding, not a cause.
	FindingTempACLBroad      = "temp-acl-broad"
	FindingInstallerACLBroad = "installer-acl-broad"
	FindingUserTempACLBroad  = "user-temp-acl-broad"
)

// FindingInfo describes a finding ID.
type FindingInfo struct {
	ID      string
	Summary string
	// Scenario is the built-in scenario that reproduces it ("" if none);
	// a finding may name a more precise one (a temp-acl variant).
	Scenario string
	// Fixes address it, in the order the engine tries them.
	Fixes []string
	// Also are the other built-in scenarios whose failure it explains
	// first (the tests derive their expectations from Scenario and Also).
	Also []string
}

// findingInfos is the catalog, in the order findings of equal confidence sort.
var findingInfos = []FindingInfo{
	{FindingTempACL, `C:\Windows\Temp's ACL keeps SYSTEM or the installing user from creating files: the in-progress marker cannot be written (2503 then 2502, exit 1603)`,
		"temp-acl-system-read-only", []string{"restore-temp-acl"}, []string{"temp-acl-users-write-removed", "temp-acl-inheritance-broken"}},
	{FindingInstallerACL, `C:\Windows\Installer denies SYSTEM write: the in-progress marker cannot be written (2503 then 2502, exit 1603)`,
		"installer-acl", []string{"restore-installer-acl"}, nil},
	{FindingInstallerMissing, `C:\Windows\Installer is missing: the service cannot stage the package there (2755 with error 110, exit 1603)`,
		"installer-missing", []string{"recreate-installer-folder"}, nil},
	{FindingUserTempMissing, `the installing user's %TEMP% is missing: the client gives up before reaching the service (exit 1632)`,
		"user-temp-missing", []string{"recreate-user-temp"}, nil},
	{FindingUserTempUnwritable, `the installing user's %TEMP% is not writable by the user (exit 1632)`,
		"user-temp-unwritable", []string{"restore-user-temp-acl"}, nil},
	{FindingServiceDisabled, `the Windows Installer service (msiserver) is Disabled: msiexec cannot reach it (exit 1601)`,
		"service-disabled", []string{"service-manual-start", "reregister-service"}, nil},
	{FindingServiceUnregistered, `the Windows Installer service is not registered (after msiexec /unregister): exit 1601`,
		"service-unregistered", []string{"reregister-service"}, nil},
	{FindingServiceUnresponsive, `msiserver is registered and not disabled, yet the service could not be reached or is stuck starting or stopping (exit 1601)`,
		"", []string{"restart-service", "reregister-service"}, nil},
	{FindingServiceMisconfigured, `msiserver's configuration differs from the OS default (image path, account or start type)`,
		"", []string{"reregister-service"}, nil},
	{FindingDisableMSIAlways, `the policy "Turn off Windows Installer" is Always (DisableMSI = 2): every install is rejected (exit 1625)`,
		"disable-msi-always", []string{"relax-disable-msi"}, nil},
	{FindingDisableMSINonAdmin, `DisableMSI = 1 (set, or absent on Windows Server): installs that do not run elevated are rejected (exit 1625)`,
		"disable-msi-non-admin", []string{"relax-disable-msi", "run-elevated"}, []string{"per-user-server-default"}},
	{FindingMutexHeld, `another install holds the execution mutex Global\_MSIExecute (1500, exit 1618)`,
		"mutex-held", []string{"wait-for-mutex"}, nil},
	{FindingNotElevated, `a per-machine package installed silently without an elevated token: nobody can accept the UAC prompt (1925, exit 1603)`,
		"silent-per-machine-not-elevated", []string{"run-elevated"}, nil},
	{FindingUninstallNotElevated, `a per-machine product removed silently without an elevated token (1730, exit 1603)`,
		"silent-uninstall-not-elevated", []string{"run-elevated"}, nil},
	{FindingCustomAction, `a deferred custom action of the package failed (1722, exit 1603): a package problem, no host fix`,
		"custom-action-fails", nil, nil},
	{FindingTempACLBroad, `C:\Windows\Temp's ACL gives broad groups more than the OS default (security; not a failure cause)`,
		"", []string{"restore-temp-acl"}, nil},
	{FindingInstallerACLBroad, `C:\Windows\Installer's ACL gives broad groups more than the OS default (security; not a failure cause)`,
		"", []string{"restore-installer-acl"}, nil},
	{FindingUserTempACLBroad, `the user's %TEMP% gives broad groups more than its inherited default (security; not a failure cause)`,
		"", []string{"restore-user-temp-acl"}, nil},
}

// LookupFinding returns a finding ID's description.
func LookupFinding(id string) (FindingInfo, bool) {
	for _, f := range findingInfos {
		if f.ID == id {
			return f, true
		}
	}
	return FindingInfo{}, false
}

// Findings lists the finding IDs the engine knows.
func Findings() []FindingInfo { return slices.Clone(findingInfos) }

func findingRank(id string) int {
	for i, f := range findingInfos {
		if f.ID == id {
			return i
		}
	}
	return len(findingInfos)
}

// Confidence levels (see Diagnose).
const (
	confBoth       = 0.95 // the failed run and the host agree
	confState      = 0.6  // the host shows a cause that blocks installs; the run does not show it
	confStateMinor = 0.3  // the host differs from the OS default in a way that blocks nothing
	confBroad      = 0.4  // an over-broad ACL: reported, not a cause
	confRefuted    = 0.2  // the run shows it, the host does not (any more)
)

// Diagnose names the causes of a failed install from the host's state
// and the run's evidence (exit code, verbose log, events); run may be nil
// (a host without a failed run) and st may be nil (a run without the
// host: as DiagnoseLog with the run's exit code and events). context is
// the run's install context ("" takes run.Context). Findings are sorted
// by confidence, highest first:
//
//   - 0.95 when the run's signature and the host's state agree;
//   - the log's own confidence when there is no host (DiagnoseLog);
//   - 0.6 for a cause the host shows that blocks installs (an ACL that
//     denies SYSTEM or Users write, a disabled service...) but the run does
//     not show, e.g. behind an earlier rejection;
//   - 0.4 for an ACL broader than the OS default, 0.3 for an ACL that
//     differs from it and blocks nothing;
//   - 0.2 for a cause the run shows that the host no longer does.
func Diagnose(st *HostState, run *ops.MsiRun, context string) []Finding {
	var ev *evidence
	if run != nil {
		ev = newEvidence(run.Log, run.ExitCode, run.Events)
		ev.uninstall = ev.uninstall || run.Action == "uninstall"
		if context == "" {
			context = run.Context
		}
	}
	if context == "" && st != nil {
		context = st.Target.Context
	}
	return diagnose(st, ev, context)
}

// DiagnoseLog names the causes a verbose log shows, complete or a pasted
// excerpt, without the host: from the log alone some causes cannot be told
// apart (a 2503/2502 marker failure from C:\Windows\Temp's ACL, from
// C:\Windows\Installer's or from a non-elevated per-machine install; a
// 1632 from a missing or an unwritable %TEMP%), so each is named with its
// own confidence and the evidence says so.
func DiagnoseLog(log string) []Finding {
	return diagnose(nil, newEvidence(log, -1, nil), "")
}

// diag collects findings, merging repeats of an ID.
type diag struct {
	st      *HostState
	ev      *evidence
	context string
	out     []Finding
}

func (d *diag) add(id string, conf float64, scenario string, evidence ...string) *Finding {
	for i := range d.out {
		if d.out[i].ID == id {
			f := &d.out[i]
			if conf > f.Confidence {
				f.Confidence = conf
				if scenario != "" {
					f.Scenario = scenario
				}
			}
			for _, e := range evidence {
				if e != "" && !slices.Contains(f.Evidence, e) {
					f.Evidence = append(f.Evidence, e)
				}
			}
			return f
		}
	}
	info, _ := LookupFinding(id)
	if scenario == "" {
		scenario = info.Scenario
	}
	f := Finding{ID: id, Summary: info.Summary, Confidence: conf, Scenario: scenario, Fixes: slices.Clone(info.Fixes)}
	for _, e := range evidence {
		if e != "" {
			f.Evidence = append(f.Evidence, e)
		}
	}
	d.out = append(d.out, f)
	return &d.out[len(d.out)-1]
}

// fromRun adds a finding the run shows, with conf when there is no host
// state, confBoth when the state confirms it and confRefuted when the
// state was read and shows otherwise (state: +1 confirms, -1 refutes, 0
// cannot tell).
func (d *diag) fromRun(id string, conf float64, state int, stateEv, scenario string, evidence ...string) {
	switch {
	case d.st == nil || state == 0:
	case state > 0:
		conf = confBoth
		evidence = append(evidence, stateEv)
	default:
		conf = confRefuted
		evidence = append(evidence, "the host does not show it now: "+stateEv)
	}
	d.add(id, conf, scenario, evidence...)
}

func diagnose(st *HostState, ev *evidence, context string) []Finding {
	d := &diag{st: st, ev: ev, context: context}
	var hs hostSignals
	if st != nil {
		hs = readSignals(st, context)
	}
	if ev != nil {
		d.runFindings(&hs)
	}
	if st != nil {
		d.stateFindings(&hs)
	}
	if d.st != nil {
		for i := range d.out {
			d.out[i].Fixes = fixOrder(d.out[i], d.st)
		}
	}
	slices.SortStableFunc(d.out, func(a, b Finding) int {
		if a.Confidence != b.Confidence {
			if a.Confidence > b.Confidence {
				return -1
			}
			return 1
		}
		return findingRank(a.ID) - findingRank(b.ID)
	})
	return d.out
}

// fixOrder puts run-elevated before relax-disable-msi when DisableMSI
// looks set by Group Policy: deleting it would not last.
func fixOrder(f Finding, st *HostState) []string {
	if f.ID == FindingDisableMSINonAdmin && (st.Domain.Joined() || st.Domain.LocalPolicy) {
		return []string{"run-elevated", "relax-disable-msi"}
	}
	return f.Fixes
}

// nonElevated reports a context whose install token is not elevated.
func nonElevated(context string) bool {
	return context == ops.ContextStandardUser || context == ops.ContextAdminFiltered
}

// hostSignals is what the state says about each cause.
type hostSignals struct {
	temp, installer, userTemp aclSignal
	installerMissing          bool
	userTempMissing           bool
	serviceProblem            string // a finding ID, or ""
	serviceEv                 string
	disableMSI                int
	disableMSIEv              string
	mutexHeld                 bool
	mutexEv                   string
}

// aclSignal is one folder's ACL against its default.
type aclSignal struct {
	read      bool // the ACL was read (the folder exists and acl.get worked)
	deviates  bool
	why       string
	sysCant   bool // SYSTEM cannot create files
	usersCant bool // BUILTIN\Users cannot create files
	userCant  bool // the context's own token cannot create files
	broad     []string
	ev        string
}

func readACLSignal(f Folder, context, userSID string) aclSignal {
	var s aclSignal
	if !f.Exists() {
		return s
	}
	if f.ACL.SDDL == "" {
		if f.ACLError != "" || f.ACL.Exists {
			s.deviates, s.why = true, "its ACL cannot be read by an administrator"
			s.ev = f.Path + ": acl.get failed: " + f.ACLError
		}
		return s
	}
	s.read = true
	if f.Default != "" {
		s.deviates, s.why = deviation(f, f.ACL.SDDL)
	}
	s.sysCant = !canCreateFiles(f.ACL.SDDL, contextToken(ops.ContextSystem, ""))
	s.usersCant = !canCreateFiles(f.ACL.SDDL, contextToken(ops.ContextStandardUser, ""))
	if context != ops.ContextSystem && userSID != "" {
		s.userCant = !canCreateFiles(f.ACL.SDDL, contextToken(context, userSID))
	}
	s.broad = overBroad(f.ACL.SDDL, f.Default)
	lines := strings.Join(f.ACL.ICACLS, "; ")
	if lines == "" {
		lines = f.ACL.SDDL
	}
	s.ev = fmt.Sprintf("%s: %s", f.Path, lines)
	return s
}

func readSignals(st *HostState, context string) hostSignals {
	var hs hostSignals
	hs.temp = readACLSignal(st.Temp, context, st.User.SID)
	hs.installer = readACLSignal(st.Installer, context, st.User.SID)
	hs.installerMissing = st.Installer.Missing()
	if !st.SystemContext() && st.User.Exists {
		hs.userTemp = readACLSignal(st.UserTemp, context, st.User.SID)
		hs.userTempMissing = st.UserTemp.Missing()
	}
	s := st.Service
	p, _, ok := profileFor(st.Host)
	switch {
	case s.Name == "":
	case !s.Exists:
		hs.serviceProblem, hs.serviceEv = FindingServiceUnregistered, "msiserver is not registered (no service key)"
	case s.Start == 4:
		hs.serviceProblem = FindingServiceDisabled
	case s.State == "StartPending" || s.State == "StopPending":
		hs.serviceProblem = FindingServiceUnresponsive
	case ok && (!strings.EqualFold(s.ImagePath, p.Msiserver.ImagePath) || !strings.EqualFold(s.ObjectName, p.Msiserver.ObjectName) ||
		s.Start != int(p.Msiserver.Start)):
		hs.serviceProblem = FindingServiceMisconfigured
	}
	if hs.serviceEv == "" && s.Exists {
		hs.serviceEv = fmt.Sprintf("msiserver: start type %s (Start=%d), %s, image path %s", s.StartType, s.Start, s.State, s.ImagePath)
	}
	hs.disableMSI = st.EffectiveDisableMSI()
	if st.DisableMSI.Exists {
		hs.disableMSIEv = fmt.Sprintf(`%s\DisableMSI = %d`, PolicyKey, st.DisableMSI.Number)
	} else {
		hs.disableMSIEv = fmt.Sprintf(`%s\DisableMSI is absent: on %s (%s) that means %d`, PolicyKey, st.Profile, st.Edition, st.DisableMSIWhenAbsent)
	}
	if st.Domain.Joined() {
		hs.disableMSIEv += fmt.Sprintf("; the host looks domain-joined (%s): a domain GPO may set it (G)", domainWords(st.Domain))
	}
	hs.mutexHeld = st.Mutex.Held
	switch {
	case st.Mutex.Held && st.Mutex.Holder != "":
		hs.mutexEv = fmt.Sprintf("%s is held by %s", ops.MutexExecute, st.Mutex.Holder)
	case st.Mutex.Held:
		hs.mutexEv = ops.MutexExecute + " is held by another process (an install in progress)"
	default:
		hs.mutexEv = ops.MutexExecute + " is free"
	}
	return hs
}

func domainWords(d DomainHint) string {
	var parts []string
	if d.Domain != "" {
		parts = append(parts, "Tcpip Domain "+d.Domain)
	}
	if d.DistinguishedName != "" {
		parts = append(parts, "Group Policy DN "+d.DistinguishedName)
	}
	return strings.Join(parts, ", ")
}

// sign is +1 for true, -1 for false.
func sign(b bool) int {
	if b {
		return 1
	}
	return -1
}

// aclState is +1 when the folder's ACL blocks (blocks true), -1 when it was
// read and does not, 0 when it could not be read.
func aclState(s aclSignal, blocks bool) int {
	if !s.read && !s.deviates {
		return 0
	}
	return sign(blocks || (!s.read && s.deviates))
}

// tempScenario is the built-in temp-acl scenario the ACL's shape matches.
func tempScenario(st *HostState, s aclSignal) string {
	switch {
	case s.sysCant:
		return "temp-acl-system-read-only"
	case st != nil && st.Temp.ACL.SDDL != "" && !st.Temp.ACL.Protected && noExplicit(st.Temp.ACL.SDDL):
		return "temp-acl-inheritance-broken"
	case s.usersCant:
		return "temp-acl-users-write-removed"
	}
	return ""
}

// logOnly is s when there is no host state, "" otherwise.
func (d *diag) logOnly(s string) string {
	if d.st != nil {
		return ""
	}
	return s
}

// runFindings adds what the run shows.
func (d *diag) runFindings(hs *hostSignals) {
	ev, st := d.ev, d.st
	exitEv := ev.exitFrom

	// The in-progress marker could not be written: 2503 then 2502.
	denied := ev.line(ipiDeniedPattern)
	if denied != "" || ev.has(2503) || ev.has(2502) {
		evs := []string{denied, ev.lineWith("Note: 1: 2503"), ev.lineWith("Note: 1: 2502"), exitEv,
			ev.event(10005, 2503), ev.event(10005, 2502)}
		elev := ev.elevated()
		scenario := "temp-acl-system-read-only"
		if elev < 0 || (elev == 0 && nonElevated(d.context)) {
			scenario = "temp-acl-users-write-removed"
		}
		if st != nil {
			if s := tempScenario(st, hs.temp); s != "" {
				scenario = s
			}
		}
		tempConf, instConf := 0.7, 0.35
		ambiguity := d.logOnly("a log alone cannot tell C:\\Windows\\Temp's ACL (R) from C:\\Windows\\Installer's (G) or a non-elevated server script (R): diagnose the host")
		d.fromRun(FindingTempACL, tempConf, aclState(hs.temp, hs.temp.sysCant || hs.temp.usersCant || hs.temp.userCant),
			hs.temp.ev, scenario, append(evs, ambiguity)...)
		d.fromRun(FindingInstallerACL, instConf, aclState(hs.installer, hs.installer.sysCant), hs.installer.ev, "",
			append(evs, ambiguity)...)
		// A per-machine package whose server-side script ran without
		// elevation gives the same chain (R). The context alone cannot
		// confirm it (a non-elevated per-user install is normal), so the
		// host never raises this one above the log's confidence.
		perMachine := strings.Contains(ev.log, "Property(S): ALLUSERS = 1")
		if elev < 0 || elev == 0 && perMachine {
			conf := 0.2
			if elev < 0 {
				conf = 0.5
			}
			d.fromRun(FindingNotElevated, conf, 0, "", "",
				append(evs, ev.lineWith("MSI_LUA"), "the server-side script may have run without elevation (R)")...)
		}
	}

	// The service could not stage the package in C:\Windows\Installer
	// (2755 with error 110, R); or the marker's path is not found (2203
	// with -2147287037: reported for a C:\Windows\Temp that is not a
	// folder, R, so a log alone is less sure of the folder).
	missing, conf := ev.line(stagePattern), 0.9
	if missing == "" {
		missing, conf = ev.line(ipiMissingPattern), 0.5
	}
	if missing != "" {
		state := 0
		if st != nil {
			state = sign(hs.installerMissing)
		}
		amb := ""
		if conf < 0.9 {
			amb = d.logOnly("2203 with -2147287037 is also what a missing C:\\Windows\\Temp gives (R): diagnose the host")
		}
		d.fromRun(FindingInstallerMissing, conf, state, InstallerDir+map[bool]string{true: " does not exist", false: " exists"}[hs.installerMissing],
			"", missing, ev.lineWith("DEBUG: Error 2755"), ev.lineWith("DEBUG: Error 2203"), exitEv, ev.event(10005, 2755), ev.event(10005, 2203), amb)
	}

	// Policies.
	policy := disableMSIPattern.FindStringSubmatch(ev.log)
	if policy != nil && policy[1] == "2" || ev.exit == 1625 && policy == nil && !strings.Contains(ev.log, "Rejecting product") && !ev.empty {
		conf := 0.95
		if policy == nil {
			conf = 0.5
		}
		state := 0
		if st != nil {
			state = sign(hs.disableMSI == 2)
		}
		d.fromRun(FindingDisableMSIAlways, conf, state, hs.disableMSIEv, "", ev.line(disableMSIPattern), exitEv)
	}
	if rejecting := ev.lineWith("Non-assigned apps are disabled for non-admin users"); rejecting != "" {
		scenario := "disable-msi-non-admin"
		note := ""
		if policy == nil || policy[1] != "1" {
			scenario = "per-user-server-default"
			note = "no 'DisableMsi' policy line: the value is absent, which Windows Server treats as 1 (R)"
		}
		state := 0
		if st != nil {
			state = sign(hs.disableMSI == 1 && nonElevated(d.context))
			if st.DisableMSI.Exists {
				scenario = "disable-msi-non-admin"
			} else {
				scenario = "per-user-server-default"
			}
		}
		d.fromRun(FindingDisableMSINonAdmin, 0.9, state, hs.disableMSIEv, scenario, rejecting, ev.line(disableMSIPattern), note, exitEv)
	}

	// The execution mutex.
	mutex := ev.lineWith("Failed to grab execution mutex")
	if mutex != "" || ev.has(1500) || ev.exit == 1618 {
		state := 0
		if st != nil {
			state = sign(hs.mutexHeld)
		}
		d.fromRun(FindingMutexHeld, 0.9, state, hs.mutexEv, "", mutex, ev.lineWith("Error 1500"), exitEv)
	}

	// Elevation: 1925 and 1730.
	lua := ev.lineWith("MSI_LUA: Elevation prompt disabled for silent installs")
	if ev.has(1925) || (lua != "" && !ev.uninstall && ev.exit != 0) {
		conf := 0.9
		if !ev.has(1925) {
			conf = 0.5 // rejected earlier (1625 on Server); elevating is the fix all the same
		}
		state := 0
		if st != nil && d.context != "" {
			state = sign(nonElevated(d.context))
		}
		d.fromRun(FindingNotElevated, conf, state, "install context "+d.context, "",
			lua, ev.lineWith("Error 1925."), exitEv, ev.event(11925, 0))
	}
	if ev.has(1730) || (lua != "" && ev.uninstall && ev.exit != 0) {
		conf := 0.9
		if !ev.has(1730) {
			conf = 0.5 // rejected earlier (1625 on Server)
		}
		state := 0
		if st != nil && d.context != "" {
			state = sign(nonElevated(d.context))
		}
		d.fromRun(FindingUninstallNotElevated, conf, state, "install context "+d.context, "",
			lua, ev.lineWith("Error 1730."), ev.lineWith("InstallInitialize. Return value 3."), exitEv, ev.event(11730, 0))
	}

	// A custom action: no host fix; say which and what it ran.
	if ev.has(1722) {
		ca, line := ev.customAction()
		what := "custom action " + ca.Name
		if ca.Location != "" || ca.Command != "" {
			what += fmt.Sprintf(" ran %s %s", ca.Location, ca.Command)
		}
		d.add(FindingCustomAction, 0.9, "", what+": fix the package or what the action needs; no host fix", line,
			ev.line(caFailedPattern), exitEv, ev.event(11722, 0))
	}

	// Nothing written, or only the header: the client stopped early.
	switch {
	case ev.exit == 1632 || (ev.headerOnly && ev.exit < 0):
		why := "the log has only its header: msiexec stopped on the client before the service was reached"
		if ev.exit == 1632 {
			why = "exit 1632 (ERROR_INSTALL_TEMP_UNWRITABLE, D)"
		}
		amb := d.logOnly("a log cannot tell a missing %TEMP% from an unwritable one: diagnose the host")
		mState, uState := 0, 0
		if st != nil && !st.SystemContext() && st.User.Exists {
			mState = sign(hs.userTempMissing)
			uState = aclState(hs.userTemp, hs.userTemp.userCant)
		}
		d.fromRun(FindingUserTempMissing, 0.45, mState, st.userTempWords(hs.userTempMissing), "", why, amb)
		d.fromRun(FindingUserTempUnwritable, 0.45, uState, hs.userTemp.ev, "", why, amb)
	case ev.exit == 1601 || (ev.empty && ev.exit < 0):
		why := "no verbose log at all: msiexec could not reach the Windows Installer service"
		if ev.exit == 1601 {
			why = "exit 1601 (ERROR_INSTALL_SERVICE_FAILURE, D) and " + map[bool]string{true: "no log", false: "a log"}[ev.empty]
		}
		amb := d.logOnly("a log cannot tell a disabled service from an unregistered one: diagnose the host")
		for _, id := range []string{FindingServiceDisabled, FindingServiceUnregistered, FindingServiceUnresponsive} {
			conf := map[string]float64{FindingServiceDisabled: 0.4, FindingServiceUnregistered: 0.35, FindingServiceUnresponsive: 0.15}[id]
			state := 0
			if st != nil {
				state = sign(hs.serviceProblem == id)
				if hs.serviceProblem == "" && id == FindingServiceUnresponsive && ev.exit == 1601 {
					state = 1 // configured right, yet not reached
				}
			}
			d.fromRun(id, conf, state, hs.serviceEv, "", why, amb)
		}
	}
}

// userTempWords describes the user's %TEMP% (st may be nil).
func (st *HostState) userTempWords(missing bool) string {
	if st == nil {
		return ""
	}
	if missing {
		return st.UserTemp.Path + " does not exist"
	}
	return st.UserTemp.Path + " exists"
}

// stateFindings adds what the host shows whatever the run did.
func (d *diag) stateFindings(hs *hostSignals) {
	st := d.st
	acl := func(s aclSignal, blocks bool, id, broadID, scenario string) {
		switch {
		case blocks:
			d.add(id, confState, scenario, s.ev, "differs from the OS default: "+s.why)
		case s.deviates && len(s.broad) == 0:
			d.add(id, confStateMinor, scenario, s.ev, "differs from the OS default, blocks no write: "+s.why)
		}
		if len(s.broad) > 0 {
			d.add(broadID, confBroad, "", append([]string{s.ev}, s.broad...)...)
		}
	}
	acl(hs.temp, hs.temp.deviates && (hs.temp.sysCant || hs.temp.usersCant || hs.temp.userCant) ||
		!hs.temp.read && hs.temp.deviates, FindingTempACL, FindingTempACLBroad, tempScenario(st, hs.temp))
	acl(hs.installer, hs.installer.deviates && hs.installer.sysCant || !hs.installer.read && hs.installer.deviates,
		FindingInstallerACL, FindingInstallerACLBroad, "")
	if hs.installerMissing {
		d.add(FindingInstallerMissing, confState, "", InstallerDir+" does not exist")
	}
	if !st.SystemContext() && st.User.Exists {
		if hs.userTempMissing {
			d.add(FindingUserTempMissing, confState, "", st.UserTemp.Path+" does not exist")
		}
		acl(hs.userTemp, hs.userTemp.deviates && hs.userTemp.userCant || !hs.userTemp.read && hs.userTemp.deviates,
			FindingUserTempUnwritable, FindingUserTempACLBroad, "")
	}
	if hs.serviceProblem != "" {
		d.add(hs.serviceProblem, confState, "", hs.serviceEv)
	}
	switch {
	case hs.disableMSI == 2:
		d.add(FindingDisableMSIAlways, confState, "", hs.disableMSIEv)
	case hs.disableMSI == 1 && nonElevated(d.context):
		scenario := "per-user-server-default"
		if st.DisableMSI.Exists {
			scenario = "disable-msi-non-admin"
		}
		d.add(FindingDisableMSINonAdmin, confState, scenario, hs.disableMSIEv, "install context "+d.context)
	}
	if hs.mutexHeld {
		d.add(FindingMutexHeld, confState, "", hs.mutexEv)
	}
}

// holds reports whether a finding's cause is still there in st for an
// install run as runAs ("" is the finding's own context): the host no
// longer shows it, or the install is run in a context it does not touch.
// Causes only a run shows (a custom action) hold until a rerun.
func holds(id string, st *HostState, context string) bool {
	hs := readSignals(st, context)
	switch id {
	case FindingTempACL:
		return hs.temp.deviates && (hs.temp.sysCant || hs.temp.usersCant || hs.temp.userCant) || !hs.temp.read && hs.temp.deviates
	case FindingInstallerACL:
		return hs.installer.deviates && hs.installer.sysCant || !hs.installer.read && hs.installer.deviates
	case FindingTempACLBroad:
		return len(hs.temp.broad) > 0
	case FindingInstallerACLBroad:
		return len(hs.installer.broad) > 0
	case FindingUserTempACLBroad:
		return len(hs.userTemp.broad) > 0
	case FindingInstallerMissing:
		return hs.installerMissing
	case FindingUserTempMissing:
		return hs.userTempMissing && context != ops.ContextSystem
	case FindingUserTempUnwritable:
		return hs.userTemp.userCant && context != ops.ContextSystem
	case FindingServiceDisabled, FindingServiceUnregistered, FindingServiceMisconfigured:
		return hs.serviceProblem == id
	case FindingServiceUnresponsive:
		return hs.serviceProblem == id || st.Service.State != "Running"
	case FindingDisableMSIAlways:
		return hs.disableMSI == 2
	case FindingDisableMSINonAdmin:
		return hs.disableMSI == 2 || hs.disableMSI == 1 && nonElevated(context)
	case FindingMutexHeld:
		return hs.mutexHeld
	case FindingNotElevated, FindingUninstallNotElevated:
		return nonElevated(context)
	}
	return true
}
