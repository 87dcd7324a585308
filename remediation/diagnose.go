package remediation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

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
	in := runInput(run)
	if run != nil && context == "" {
		context = run.Context
	}
	if context == "" && st != nil {
		context = st.Target.Context
	}
	return diagnose(st, in, context)
}

// runInput is a run's evidence (nil without a run).
func runInput(run *ops.MsiRun) *Input {
	if run == nil {
		return nil
	}
	in := newInput(msilog.ParseString(run.Log), run.ExitCode, run.Events)
	in.Uninstall = in.Uninstall || run.Action == "uninstall"
	return in
}

// DiagnoseLog names the causes a verbose log shows, complete or a pasted
// excerpt, without the host: from the log alone some causes cannot be told
// apart (a 2503/2502 marker failure from C:\Windows\Temp's ACL, from
// C:\Windows\Installer's or from a non-elevated per-machine install; a
// 1632 from a missing or an unwritable %TEMP%), so each is named with its
// own confidence and the evidence says so.
func DiagnoseLog(log string) []Finding {
	return DiagnoseParsed(nil, msilog.ParseString(log), -1, "")
}

// DiagnoseParsed is Diagnose over a parsed input (msilog.Parse streams a
// file): exit < 0 takes the exit code the input states; st may be nil.
func DiagnoseParsed(st *HostState, log *msilog.Log, exit int, context string) []Finding {
	if context == "" && st != nil {
		context = st.Target.Context
	}
	return diagnose(st, newInput(log, exit, nil), context)
}

// diag collects findings, merging repeats of an ID.
type diag struct {
	st      *HostState
	in      *Input
	context string
	out     []Finding
}

func (d *diag) add(id string, conf float64, scenario string, lines []msilog.Line, evidence ...string) *Finding {
	c, _ := LookupCause(id)
	var f *Finding
	for i := range d.out {
		if d.out[i].ID == id {
			f = &d.out[i]
		}
	}
	if f == nil {
		d.out = append(d.out, Finding{ID: id, Summary: c.Summary, Confidence: conf, Scenario: c.Scenario, NoScenario: c.NoScenario,
			Fixes: slices.Clone(c.Fixes), NoFix: c.NoFix, Label: c.Label, Sources: slices.Clone(c.Sources)})
		f = &d.out[len(d.out)-1]
		if scenario != "" {
			f.Scenario, f.NoScenario = scenario, ""
		}
	} else if conf > f.Confidence {
		f.Confidence = conf
		if scenario != "" {
			f.Scenario, f.NoScenario = scenario, ""
		}
	}
	for _, l := range lines {
		q := quote(l)
		if !slices.Contains(f.Evidence, q) {
			f.Evidence = append(f.Evidence, q)
			if l.N > 0 {
				f.Lines = append(f.Lines, QuotedLine{N: l.N, Text: strings.TrimSpace(l.Text)})
			}
		}
	}
	for _, e := range evidence {
		if e != "" && !slices.Contains(f.Evidence, e) {
			f.Evidence = append(f.Evidence, e)
		}
	}
	return f
}

func diagnose(st *HostState, in *Input, context string) []Finding {
	d := &diag{st: st, in: in, context: context}
	var hs hostSignals
	if st != nil {
		hs = readSignals(st, context)
	}
	if in != nil {
		in.Context, in.State = context, st
	}
	view := &HostView{St: st, Sig: &hs, Context: context, In: in}
	all := Causes()
	hostOf := map[string]HostVerdict{}
	if st != nil {
		for _, c := range all {
			if c.Host != nil {
				hostOf[c.ID] = c.Host(view)
			}
		}
	}
	if in != nil {
		for _, c := range all {
			if c.Log == nil {
				continue
			}
			v := c.Log(in)
			if v == nil {
				continue
			}
			for _, m := range v.More {
				d.logVerdict(c, m, hostOf)
			}
			d.logVerdict(c, *v, hostOf)
		}
	}
	for _, c := range all {
		hv, ok := hostOf[c.ID]
		if !ok || hv.Alone <= 0 {
			continue
		}
		ev := hv.AloneEvidence
		if ev == nil {
			ev = hv.Evidence
		}
		d.add(c.ID, hv.Alone, hv.Scenario, nil, ev...)
	}
	for i := range d.out {
		f := &d.out[i]
		if c, ok := LookupCause(f.ID); ok && c.RuledOutBy != "" && !slices.Contains(f.RuledOut, c.RuledOutBy) {
			f.RuledOut = append(f.RuledOut, c.RuledOutBy)
		}
		if st != nil {
			f.Fixes = fixOrder(*f, st)
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

// logVerdict adds a cause's log verdict, confirmed or refuted by the host.
func (d *diag) logVerdict(c Cause, v LogVerdict, hostOf map[string]HostVerdict) {
	conf, scenario, notes := v.Confidence, v.Scenario, slices.Clone(v.Notes)
	if hv, ok := hostOf[c.ID]; ok && !v.NoHost {
		if hv.Scenario != "" {
			scenario = hv.Scenario
		}
		stateEv := strings.Join(hv.Evidence, "; ")
		switch {
		case hv.Run > 0:
			conf = confBoth
			notes = append(notes, stateEv)
		case hv.Run < 0:
			conf = confRefuted
			notes = append(notes, "the host does not show it now: "+stateEv)
		}
	}
	f := d.add(c.ID, conf, scenario, v.Lines, notes...)
	f.fromRun = true
	for _, r := range v.RuledOut {
		if !slices.Contains(f.RuledOut, r) {
			f.RuledOut = append(f.RuledOut, r)
		}
	}
}

// holds reports whether a finding's cause is still there in st for an
// install run in context, in is the failed run's evidence (nil: none):
// the cause's host condition. Causes only a run shows (a custom action)
// hold until a rerun.
func holds(id string, st *HostState, context string, in *Input) bool {
	c, ok := LookupCause(id)
	if !ok || c.Host == nil {
		return true
	}
	hs := readSignals(st, context)
	return c.Host(&HostView{St: st, Sig: &hs, Context: context, In: in}).Holds
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
