package remediation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Paths and registry values the probes read.
const (
	TempDir      = `C:\Windows\Temp`
	InstallerDir = `C:\Windows\Installer`
	// PolicyKey holds the machine's Windows Installer policies (D).
	PolicyKey = `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`
	// tcpipKey's Domain is the machine's primary DNS domain: set on a
	// domain member (G: it can also be set by hand or by DHCP's option 15
	// in NV Domain, so it is a hint, not a proof).
	tcpipKey = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	// gpStateKey's Distinguished-Name is the computer's DN in Active
	// Directory, written when domain Group Policy was applied (G).
	gpStateKey = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Group Policy\State\Machine`
	// localPolicyFile is the local Group Policy's machine registry.pol: a
	// local policy may write DisableMSI back at the next refresh (D: the
	// file's location; G: that it holds the Installer policies).
	localPolicyFile = `C:\Windows\System32\GroupPolicy\Machine\Registry.pol`
	// inProgressKey and configMsi hold a suspended install (its rollback
	// data): while either exists, no temporary file of the Installer is
	// stale (G: the layout Windows Installer leaves, to confirm).
	inProgressKey = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress`
	configMsi     = `C:\Config.Msi`
)

// UserTempDir is the %TEMP% of a user's profile (C:\Users\<user>\AppData\Local\Temp).
func UserTempDir(user string) string { return `C:\Users\` + user + `\AppData\Local\Temp` }

// Folder is what the probes saw of one folder.
type Folder struct {
	Path string       `json:"path"`
	Stat ops.PathInfo `json:"stat"`
	ACL  ops.ACL      `json:"acl"`
	// ACLError is the acl.get failure ("" when it was read): a DACL that
	// denies the administrator READ_CONTROL hides it.
	ACLError string `json:"acl_error,omitempty"`
	// Default is the OS profile's security descriptor for the folder
	// ("" when unknown). For a user's TEMP it is "O:<user SID>D:": owned by
	// the user, no explicit ACE, not protected: inheriting the profile's ACL.
	Default string `json:"default,omitempty"`
	// DefaultGuessed is true when Default is our inference (G): the folder
	// is then held only to what the service needs of it (full control for
	// SYSTEM and Administrators), never to the rest of the guess.
	DefaultGuessed bool `json:"default_guessed,omitempty"`
}

// Exists reports whether the folder exists.
func (f Folder) Exists() bool { return f.Stat.Exists || f.ACL.Exists }

// Missing reports a folder that path.stat read and did not find.
func (f Folder) Missing() bool {
	return f.Stat.Path != "" && !f.Stat.Exists && !f.ACL.Exists && f.ACLError == ""
}

// DomainHint is what the host says about domain membership: a Group
// Policy that sets DisableMSI comes back at the next policy refresh (G).
type DomainHint struct {
	// Domain is Tcpip\Parameters Domain ("" when absent).
	Domain string `json:"domain,omitempty"`
	// DistinguishedName is the computer's DN from Group Policy's state.
	DistinguishedName string `json:"distinguished_name,omitempty"`
	// LocalPolicy is true when the local Group Policy has a machine registry.pol.
	LocalPolicy bool `json:"local_policy,omitempty"`
}

// Joined reports a likely domain member (label G).
func (d DomainHint) Joined() bool { return d.Domain != "" || d.DistinguishedName != "" }

// HostState is what the probes read, decoded.
type HostState struct {
	// Target is who the probes were taken for.
	Target faults.Target `json:"target"`
	Host   ops.HostInfo  `json:"host"`
	// Profile is the OS profile the host matches ("" when none does):
	// host.info's on a simulated host, else the profile of the same
	// edition and build (or the nearest older build: ProfileExact false).
	Profile      string `json:"profile,omitempty"`
	ProfileExact bool   `json:"profile_exact"`
	// Edition is "client" or "server".
	Edition string      `json:"edition,omitempty"`
	Service ops.Service `json:"service"`
	// DisableMSI and AlwaysInstallElevated are the HKLM policy values. The
	// HKCU AlwaysInstallElevated needs the user's SID in a second round
	// trip and decides no failure in the catalog: it is not read.
	DisableMSI            ops.RegistryValue `json:"disable_msi"`
	AlwaysInstallElevated ops.RegistryValue `json:"always_install_elevated"`
	// DisableMSIWhenAbsent is how the profile treats an absent DisableMSI
	// (0 on client editions, 1 on Server).
	DisableMSIWhenAbsent int    `json:"disable_msi_when_absent"`
	Temp                 Folder `json:"temp"`
	Installer            Folder `json:"installer"`
	// User is the context's account (Exists false for system); UserTemp
	// its %TEMP% (C:\Windows\Temp for system, the same as Temp).
	User     ops.User   `json:"user"`
	UserTemp Folder     `json:"user_temp"`
	Mutex    ops.Mutex  `json:"mutex"`
	Domain   DomainHint `json:"domain"`
	// InstallerTmp are the MSI*.tmp files (install scripts) in
	// C:\Windows\Installer; Suspended is true while an install is suspended
	// (the InProgress key or C:\Config.Msi exists).
	InstallerTmp []string `json:"installer_tmp,omitempty"`
	Suspended    bool     `json:"suspended,omitempty"`

	// Probes and Results are the reads as taken, for Lines and records.
	Probes  []ops.Op     `json:"probes"`
	Results []ops.Result `json:"results"`
	// RunProbes are the reads among Probes that causes took from the
	// run's evidence (Cause.RunProbes), by cause ID.
	RunProbes map[string][]ops.Op `json:"run_probes,omitempty"`
}

// SystemContext reports whether the state is the system context's, whose
// %TEMP% is C:\Windows\Temp.
func (st *HostState) SystemContext() bool { return st.Target.Context == ops.ContextSystem }

// EffectiveDisableMSI is the DisableMSI the installer applies: the value,
// or the profile's default when it is absent (or not a number).
func (st *HostState) EffectiveDisableMSI() int {
	if st.DisableMSI.Exists && (st.DisableMSI.Type == "REG_DWORD" || st.DisableMSI.Type == "REG_QWORD") {
		return int(st.DisableMSI.Number)
	}
	return st.DisableMSIWhenAbsent
}

func aclGet(path string) ops.Op   { return ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: path}) }
func pathStat(path string) ops.Op { return ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: path}) }
func regGet(path, name string) ops.Op {
	return ops.MustNew(ops.OpRegistryGet, ops.RegistryValueArgs{Path: path, Name: name})
}

// ProbeOps is the one batch of reads the engine takes before and after
// each fix: host.info, msiserver, the Installer policies, the ACL and
// existence of C:\Windows\Temp, C:\Windows\Installer and the context
// user's %TEMP%, the context user, the execution mutex, and the domain
// hints. All reads: none needs another's result.
func ProbeOps(t faults.Target) []ops.Op {
	out := []ops.Op{
		ops.MustNew(ops.OpHostInfo, nil),
		ops.MustNew(ops.OpServiceGet, ops.ServiceArgs{Name: ops.InstallerService}),
		regGet(PolicyKey, "DisableMSI"),
		regGet(PolicyKey, "AlwaysInstallElevated"),
		aclGet(TempDir), pathStat(TempDir),
		aclGet(InstallerDir), pathStat(InstallerDir),
		ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: ops.MutexExecute}),
		regGet(tcpipKey, "Domain"),
		regGet(gpStateKey, "Distinguished-Name"),
		pathStat(localPolicyFile),
		ops.MustNew(ops.OpPathList, ops.PathArgs{Path: InstallerDir}),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: inProgressKey}),
		pathStat(configMsi),
	}
	out = append(out, userProbes(t)...)
	// Then what causes read beyond these, each once, in rank order.
	for _, c := range Causes() {
		if c.Probes == nil {
			continue
		}
		for _, op := range c.Probes(t) {
			if !slices.ContainsFunc(out, func(o ops.Op) bool { return sameOp(o, op) }) {
				out = append(out, op)
			}
		}
	}
	return out
}

// userProbes read the context user and its %TEMP% (none for system).
func userProbes(t faults.Target) []ops.Op {
	u := t.ContextUser()
	if u == "" {
		return nil
	}
	dir := UserTempDir(u)
	return []ops.Op{ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: u}), aclGet(dir), pathStat(dir)}
}

// probes is a cause's fixed reads.
func probes(list ...ops.Op) func(faults.Target) []ops.Op {
	return func(faults.Target) []ops.Op { return list }
}

func hostInfo() ops.Op { return ops.MustNew(ops.OpHostInfo, nil) }
func msiserverGet() ops.Op {
	return ops.MustNew(ops.OpServiceGet, ops.ServiceArgs{Name: ops.InstallerService})
}
func regList(path string) ops.Op {
	return ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: path})
}

// sameOp reports the same read: name and arguments.
func sameOp(a, b ops.Op) bool { return a.Name == b.Name && string(a.Args) == string(b.Args) }

// Result is the result of a probe a cause declared (false when it was
// not taken or failed): a cause reads its own probes this way, without a
// field in HostState.
func (st *HostState) Result(op ops.Op) (ops.Result, bool) {
	for i, p := range st.Probes {
		if sameOp(p, op) && i < len(st.Results) && st.Results[i].OK {
			return st.Results[i], true
		}
	}
	return ops.Result{}, false
}

// runProbeOps are the reads the causes take from a run's evidence
// (Cause.RunProbes), by cause, and those of them not in have, each once.
func runProbeOps(t faults.Target, in *Input, have []ops.Op) (map[string][]ops.Op, []ops.Op) {
	if in == nil {
		return nil, nil
	}
	var byCause map[string][]ops.Op
	var extra []ops.Op
	for _, c := range Causes() {
		if c.RunProbes == nil {
			continue
		}
		for _, op := range c.RunProbes(t, in) {
			if byCause == nil {
				byCause = map[string][]ops.Op{}
			}
			byCause[c.ID] = append(byCause[c.ID], op)
			same := func(o ops.Op) bool { return sameOp(o, op) }
			if !slices.ContainsFunc(have, same) && !slices.ContainsFunc(extra, same) {
				extra = append(extra, op)
			}
		}
	}
	return byCause, extra
}

// failed is the failed result of a probe (false when it was not taken or
// succeeded): a read whose error says something (an ACL denied).
func (st *HostState) failed(op ops.Op) (ops.Result, bool) {
	for i, p := range st.Probes {
		if sameOp(p, op) && i < len(st.Results) && !st.Results[i].OK && st.Results[i].Error != nil {
			return st.Results[i], true
		}
	}
	return ops.Result{}, false
}

// Probe takes ProbeOps on a host (one batch) and reads them.
func Probe(ctx context.Context, s lab.Session, t faults.Target) (*HostState, error) {
	probes := ProbeOps(t)
	res, err := s.RunBatch(ctx, probes)
	if err != nil {
		return nil, fmt.Errorf("remediation: probe: %w", err)
	}
	return ReadState(t, probes, res)
}

// ReadState decodes probe results into a HostState. Results are matched
// to their ops by position and each op by its name and arguments, so
// probes may be a superset of ProbeOps (other reads are kept for Lines
// only) and in any order. A failed read is kept as its error where the
// state has room for one (ACLError) and is otherwise left at its zero value.
func ReadState(t faults.Target, probes []ops.Op, results []ops.Result) (*HostState, error) {
	if len(results) != len(probes) {
		return nil, fmt.Errorf("%w: %d results for %d probes", ErrProbe, len(results), len(probes))
	}
	st := &HostState{Target: t, Probes: slices.Clone(probes), Results: slices.Clone(results)}
	userTemp := ""
	if u := t.ContextUser(); u != "" {
		userTemp = UserTempDir(u)
	}
	st.Temp.Path, st.Installer.Path = TempDir, InstallerDir
	st.UserTemp.Path = TempDir
	if userTemp != "" {
		st.UserTemp.Path = userTemp
	}
	for i, p := range probes {
		r := results[i]
		if r.Op != p.Name {
			return nil, fmt.Errorf("%w: result %d is %s, probe is %s", ErrProbe, i, r.Op, p.Name)
		}
		if err := st.read(p, r, userTemp); err != nil {
			return nil, err
		}
	}
	if userTemp == "" {
		st.UserTemp = st.Temp
	}
	st.matchProfile()
	return st, nil
}

// read decodes one probe's result into the state.
func (st *HostState) read(p ops.Op, r ops.Result, userTemp string) error {
	var arg struct {
		Path string `json:"path"`
		Name string `json:"name"`
	}
	if len(p.Args) > 0 {
		if err := json.Unmarshal(p.Args, &arg); err != nil {
			return fmt.Errorf("%w: args of %s: %w", ErrProbe, p.Name, err)
		}
	}
	folder := func(path string) *Folder {
		switch {
		case strings.EqualFold(path, TempDir):
			return &st.Temp
		case strings.EqualFold(path, InstallerDir):
			return &st.Installer
		case userTemp != "" && strings.EqualFold(path, userTemp):
			return &st.UserTemp
		}
		return nil
	}
	decode := func(v any) error {
		if !r.OK {
			return nil // a failed read leaves the zero value
		}
		if err := r.Decode(v); err != nil {
			return fmt.Errorf("%w: %w", ErrProbe, err)
		}
		return nil
	}
	switch p.Name {
	case ops.OpHostInfo:
		return decode(&st.Host)
	case ops.OpServiceGet:
		if strings.EqualFold(arg.Name, ops.InstallerService) {
			return decode(&st.Service)
		}
	case ops.OpRegistryGet:
		switch {
		case strings.EqualFold(arg.Path, PolicyKey) && strings.EqualFold(arg.Name, "DisableMSI"):
			return decode(&st.DisableMSI)
		case strings.EqualFold(arg.Path, PolicyKey) && strings.EqualFold(arg.Name, "AlwaysInstallElevated"):
			return decode(&st.AlwaysInstallElevated)
		case strings.EqualFold(arg.Path, tcpipKey) && strings.EqualFold(arg.Name, "Domain"):
			var v ops.RegistryValue
			err := decode(&v)
			st.Domain.Domain = v.String
			return err
		case strings.EqualFold(arg.Path, gpStateKey) && strings.EqualFold(arg.Name, "Distinguished-Name"):
			var v ops.RegistryValue
			err := decode(&v)
			st.Domain.DistinguishedName = v.String
			return err
		}
	case ops.OpACLGet:
		if f := folder(arg.Path); f != nil {
			if !r.OK && r.Error != nil {
				f.ACLError = r.Error.Code + ": " + r.Error.Message
			}
			return decode(&f.ACL)
		}
	case ops.OpPathStat:
		if f := folder(arg.Path); f != nil {
			return decode(&f.Stat)
		}
		if strings.EqualFold(arg.Path, localPolicyFile) {
			var pi ops.PathInfo
			err := decode(&pi)
			st.Domain.LocalPolicy = pi.Exists
			return err
		}
		if strings.EqualFold(arg.Path, configMsi) {
			var pi ops.PathInfo
			err := decode(&pi)
			st.Suspended = st.Suspended || pi.Exists
			return err
		}
	case ops.OpPathList:
		if strings.EqualFold(arg.Path, InstallerDir) {
			var l ops.PathList
			err := decode(&l)
			for _, e := range l.Entries {
				name := e.Path[strings.LastIndexByte(e.Path, '\\')+1:]
				if up := strings.ToUpper(name); !e.IsDir && strings.HasPrefix(up, "MSI") && strings.HasSuffix(up, ".TMP") {
					st.InstallerTmp = append(st.InstallerTmp, e.Path)
				}
			}
			return err
		}
	case ops.OpRegistryList:
		if strings.EqualFold(arg.Path, inProgressKey) {
			var k ops.RegistryKey
			err := decode(&k)
			st.Suspended = st.Suspended || k.Exists
			return err
		}
	case ops.OpUserGet:
		return decode(&st.User)
	case ops.OpMutexGet:
		if arg.Name == ops.MutexExecute {
			return decode(&st.Mutex)
		}
	}
	return nil
}

// matchProfile finds the OS profile and fills what comes from it.
func (st *HostState) matchProfile() {
	p, exact, ok := profileFor(st.Host)
	st.Edition = editionOf(st.Host)
	if !st.SystemContext() && st.User.SID != "" {
		st.UserTemp.Default = "O:" + st.User.SID + "D:" // whatever the OS
	}
	if !ok {
		return
	}
	st.Profile, st.ProfileExact, st.Edition = p.Name, exact, string(p.Edition)
	st.DisableMSIWhenAbsent = p.DisableMSIWhenAbsent
	st.Temp.Default = p.TempSDDL
	st.Installer.Default = p.InstallerSDDL
	st.Installer.DefaultGuessed = true // no public dump (docs/evidence.md#E-installer-acl)
	if st.SystemContext() {
		st.UserTemp.Default = p.TempSDDL
	}
}

// editionOf is "server" for a Server EditionID or product name, else "client".
func editionOf(h ops.HostInfo) string {
	if h.Edition == "" && h.ProductName == "" {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(h.Edition), "server") || strings.Contains(h.ProductName, "Server") {
		return string(win.EditionServer)
	}
	return string(win.EditionClient)
}

// buildOf is the build number of "10.0.<build>.<ubr>" (0 when unparsable).
func buildOf(version string) int {
	parts := strings.Split(version, ".")
	if len(parts) < 3 {
		return 0
	}
	n, _ := strconv.Atoi(parts[2])
	return n
}

// profileFor maps host.info to an OS profile: the one it names (simulated
// hosts), else the profile of the same edition (client or server, from
// EditionID or the product name) and build, else the one of the same
// edition with the nearest build, the older on a tie (G: a profile's
// defaults are assumed to hold for builds near it).
func profileFor(h ops.HostInfo) (win.Profile, bool, bool) {
	if h.Profile != "" {
		if p, err := win.LookupProfile(h.Profile); err == nil {
			return p, true, true
		}
	}
	edition, build := editionOf(h), buildOf(h.Build)
	if edition == "" || build == 0 {
		return win.Profile{}, false, false
	}
	var best win.Profile
	found := false
	score := func(p win.Profile) int { // the nearest build; on a tie, the older
		d := 2 * (build - p.Build)
		if d < 0 {
			d = -d + 1
		}
		return d
	}
	for _, p := range win.Profiles() {
		if string(p.Edition) != edition {
			continue
		}
		if !found || score(p) < score(best) {
			best, found = p, true
		}
	}
	return best, found && best.Build == build, found
}

// Lines renders the probes as sorted "op args = value" lines, the form of
// the runner's state lines: a service's run state and PID are left out
// (Windows starts msiserver on demand and stops it when idle), as is
// host.info (the session's token, not the host's state).
func (st *HostState) Lines() []string {
	var lines []string
	for i, p := range st.Probes {
		// The Installer folder's listing changes with every product
		// installed (its package cache): not part of a baseline.
		if p.Name == ops.OpHostInfo || p.Name == ops.OpPathList || i >= len(st.Results) {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s %s = %s", p.Name, p.Args, StateValue(p.Name, st.Results[i])))
	}
	slices.Sort(lines)
	return lines
}

// StateValue renders a probe's result for a baseline line, by meaning
// where Windows spells one state more than one way: an ACL by the rights
// it grants (win.Meaning), a service by its configuration without its run
// state and PID (Windows starts msiserver on demand and stops it when
// idle), its paths and names compared as Windows reads them. The runner's
// baseline check and the remediation engine both use it.
func StateValue(op string, r ops.Result) string {
	val := string(r.Value)
	if !r.OK && r.Error != nil {
		return "error " + r.Error.Code
	}
	switch {
	case op == ops.OpACLGet && r.OK:
		val = aclMeaning(r.Value, val)
	case op == ops.OpServiceGet && r.OK:
		var s ops.Service
		if json.Unmarshal(r.Value, &s) == nil {
			val = ServiceMeaning(s)
		}
	}
	return val
}

// ServiceMeaning renders a service's configuration as the SCM reads it
// (docs/evidence.md#E-regserver-config): paths and names expanded and
// case-folded (win.ServiceText, win.ServiceAccount), dependencies by name,
// failure actions by what they do; no run state or PID.
func ServiceMeaning(s ops.Service) string {
	if !s.Exists {
		return s.Name + ": not registered"
	}
	deps := make([]string, len(s.Dependencies))
	for i, d := range s.Dependencies {
		deps[i] = strings.ToLower(d)
	}
	return fmt.Sprintf("%s: start %d, image %q, account %q, display name %q, depends on %q, description %q, failure actions %s",
		strings.ToLower(s.Name), s.Start, win.ServiceText(s.ImagePath), win.ServiceAccount(s.ObjectName),
		win.ServiceText(s.DisplayName), deps, win.ServiceText(s.Description), win.FailureActionsText(s.FailureActions))
}

// aclMeaning renders an acl.get result by the rights it grants
// (win.Meaning), so that a DACL written back in another order or with
// merged ACEs reads the same; raw when it cannot be read.
func aclMeaning(v json.RawMessage, raw string) string {
	var a ops.ACL
	if json.Unmarshal(v, &a) != nil || !a.Exists || a.SDDL == "" {
		return raw
	}
	sd, err := win.ParseSDDL(a.SDDL)
	if err != nil {
		return raw
	}
	return a.Path + ": " + strings.Join(win.Meaning(sd), "; ")
}

// Diff lists the lines only in a and only in b (both sorted).
func Diff(a, b *HostState) (onlyA, onlyB []string) {
	la, lb := a.Lines(), b.Lines()
	for _, l := range la {
		if _, ok := slices.BinarySearch(lb, l); !ok {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range lb {
		if _, ok := slices.BinarySearch(la, l); !ok {
			onlyB = append(onlyB, l)
		}
	}
	return onlyA, onlyB
}

// OverBroad lists what the probed ACLs give broad groups (Everyone,
// Users, Authenticated Users...) beyond the OS profile's defaults: what no
// fix may leave behind. Without a known default, any write right for
// Everyone, Anonymous or Guests counts.
func (st *HostState) OverBroad() []string {
	var out []string
	folders := []Folder{st.Temp, st.Installer}
	if !st.SystemContext() {
		folders = append(folders, st.UserTemp)
	}
	for _, f := range folders {
		if f.ACL.SDDL == "" {
			continue
		}
		for _, b := range overBroad(f.ACL.SDDL, f.Default) {
			out = append(out, f.Path+": "+b)
		}
	}
	return out
}
