package installer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// scriptOp is one operation of the install script, run by RunScript; it
// returns false when the install must fail (it has raised the error).
type scriptOp func(r *run) bool

// opToken is the token script operations use: LocalSystem when the install
// is elevated, the user otherwise (D: per-user installs run with the
// user's rights; elevated ones as LocalSystem).
func (r *run) opToken() *win.Token {
	if r.elevated {
		return win.SystemToken()
	}
	return r.req.Token
}

// schedule adds the script operations of a standard action.
func (r *run) schedule(action string) {
	switch action {
	case "InstallFiles":
		for _, f := range r.pkg.files {
			if r.componentAction(f.comp) == stateLocal {
				r.script = append(r.script, r.installFile(f))
			}
		}
	case "RemoveFiles":
		for _, f := range r.pkg.files {
			if r.componentAction(f.comp) == stateAbsent {
				r.script = append(r.script, r.removeFile(f))
			}
		}
	case "WriteRegistryValues":
		for _, g := range r.pkg.regs {
			if r.componentAction(g.comp) == stateLocal {
				r.script = append(r.script, r.writeRegistry(g))
			}
		}
	case "RemoveRegistryValues":
		for _, g := range r.pkg.regs {
			if r.componentAction(g.comp) == stateAbsent {
				r.script = append(r.script, r.removeRegistry(g))
			}
		}
	case "RegisterProduct":
		switch {
		case r.remove && r.installed != nil:
			r.script = append(r.script, func(r *run) bool { r.unregister(); return true })
		case !r.remove && !r.maint:
			r.script = append(r.script, func(r *run) bool { return r.register() })
		}
	}
}

// installFile creates the component's folder and writes the file.
func (r *run) installFile(f fileRow) scriptOp {
	dir := strings.TrimSuffix(r.dirs[r.pkg.comps[f.comp].dir], `\`)
	path := dir + `\` + f.name
	data := r.pkg.data[f.key]
	return func(r *run) bool {
		tok := r.opToken()
		created, err := mkdirs(r.m, tok, dir)
		r.undoRemove(created)
		_, statErr := r.m.FS().Stat(path)
		// A folder that exists but takes no new file from the token is
		// reported as the folder too, not as the file (R: sqlitebrowser/
		// sqlitebrowser#1841, EDDiscovery/EDDiscovery#2057: an existing
		// install folder denying access gives 1303 with the folder;
		// docs/evidence.md#E-target-acl).
		if err != nil || statErr != nil && !r.canWrite(tok, dir) {
			r.rule(RuleTargetDenied)
			r.log.note("s", MsgDirPrivileges, dir)
			r.raise(MsgDirPrivileges, dir)
			return false
		}
		r.log.s("Executing op: FileCopy(SourceName=%s,DestName=%s,FileSize=%d)", f.key, path, len(data))
		old, existed := r.m.FS().ReadFile(win.SystemToken(), path)
		if err := r.m.FS().WriteFile(tok, path, data); err != nil {
			r.rule(RuleTargetDenied)
			code := strconv.Itoa(int(model.Code(err)))
			r.log.note("s", MsgFileWrite, code, path)
			r.raise(MsgFileWrite, code, path)
			return false
		}
		r.undo = append(r.undo, func() {
			if existed == nil {
				_ = r.m.FS().WriteFile(win.SystemToken(), path, old)
			} else {
				_ = r.m.FS().Remove(win.SystemToken(), path)
			}
		})
		return true
	}
}

// mkdirs creates dir and its missing parents as tok and lists what it
// created, outermost first.
func mkdirs(m *model.Machine, tok *win.Token, dir string) ([]string, error) {
	var missing []string
	for p := dir; p != "" && !m.FS().Exists(p); p = parentDir(p) {
		missing = append([]string{p}, missing...)
	}
	var created []string
	for _, p := range missing {
		if err := m.FS().Mkdir(tok, p); err != nil {
			return created, err
		}
		created = append(created, p)
	}
	return created, nil
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '\\'); i > 2 {
		return p[:i]
	}
	return ""
}

// undoRemove registers the removal of created folders on rollback.
func (r *run) undoRemove(created []string) {
	for _, p := range created {
		r.undo = append(r.undo, func() { _ = r.m.FS().Remove(win.SystemToken(), p) })
	}
}

// removeFile deletes an installed file and the folders it leaves empty, up
// to the system folders (G: which empty folders Windows removes).
func (r *run) removeFile(f fileRow) scriptOp {
	dir := strings.TrimSuffix(r.dirs[r.pkg.comps[f.comp].dir], `\`)
	path := dir + `\` + f.name
	return func(r *run) bool {
		tok := r.opToken()
		r.log.s("Executing op: FileRemove(,FileName=%s,,)", path)
		if err := r.m.FS().Remove(tok, path); err != nil && !errors.Is(err, model.ErrNotFound) && !errors.Is(err, model.ErrPathNotFound) {
			r.rule(RuleTargetDenied)
			code := strconv.Itoa(int(model.Code(err)))
			r.raise(MsgFileWrite, code, path)
			return false
		}
		r.pruneDirs(dir)
		return true
	}
}

func (r *run) pruneDirs(dir string) {
	stops := map[string]bool{}
	for _, id := range []string{"ProgramFilesFolder", "ProgramFiles64Folder", "LocalAppDataFolder", "AppDataFolder",
		"CommonAppDataFolder", "WindowsFolder", "TempFolder", "PersonalFolder", "DesktopFolder", "ROOTDRIVE"} {
		stops[strings.ToLower(strings.TrimSuffix(r.props[id], `\`))] = true
	}
	for p := dir; p != "" && !stops[strings.ToLower(p)]; p = parentDir(p) {
		if entries, err := r.m.FS().ReadDir(win.SystemToken(), p); err != nil || len(entries) > 0 {
			return
		}
		if err := r.m.FS().Remove(win.SystemToken(), p); err != nil {
			return
		}
	}
}

// regPath maps a Registry row to a model key: root -1 follows ALLUSERS,
// HKCU is the client user's hive, and a 32-bit component's HKLM\SOFTWARE
// is redirected to WOW6432Node (D: "Registry table", "Registry Redirector").
func (r *run) regPath(g regRow) string {
	key := r.formatted(g.path)
	user := `HKU\` + string(r.req.Token.User)
	var hive string
	switch g.root {
	case -1:
		hive = user
		if r.perMachine {
			hive = "HKLM"
		}
	case 0:
		hive, key = "HKLM", `SOFTWARE\Classes\`+key
		if !r.perMachine {
			hive, key = user, `Software\Classes\`+strings.TrimPrefix(key, `SOFTWARE\Classes\`)
		}
	case 1:
		hive = user
	case 3:
		hive = "HKU"
	default:
		hive = "HKLM"
	}
	if hive == "HKLM" && r.pkg.comps[g.comp].attrs&compAttr64 == 0 && strings.HasPrefix(strings.ToUpper(key), `SOFTWARE\`) &&
		!strings.HasPrefix(strings.ToUpper(key), `SOFTWARE\CLASSES\`) {
		key = `SOFTWARE\WOW6432Node\` + key[len(`SOFTWARE\`):]
	}
	return hive + `\` + key
}

// regValue converts a Registry row's Value (D: "Registry table": #x
// binary, #% expandable, # integer, [~] multi-string, else a string).
func (r *run) regValue(name, raw string) model.Value {
	v := r.formatted(raw)
	switch {
	case strings.HasPrefix(v, "#x"), strings.HasPrefix(v, "#X"):
		b := make([]byte, 0, len(v)/2)
		for i := 2; i+1 < len(v); i += 2 {
			n, _ := strconv.ParseUint(v[i:i+2], 16, 8)
			b = append(b, byte(n))
		}
		return model.Binary(name, b)
	case strings.HasPrefix(v, "#%"):
		return model.ExpandSZ(name, v[2:])
	case strings.HasPrefix(v, "##"):
		return model.SZ(name, v[1:])
	case strings.HasPrefix(v, "#"):
		n, _ := strconv.ParseInt(v[1:], 10, 64)
		return model.DWORD(name, uint32(n))
	case strings.Contains(v, "\x00"):
		return model.Value{Name: name, Type: model.RegMultiSZ, Multi: strings.FieldsFunc(v, func(c rune) bool { return c == 0 })}
	}
	return model.SZ(name, v)
}

func (r *run) writeRegistry(g regRow) scriptOp {
	return func(r *run) bool {
		path, name := r.regPath(g), r.formatted(g.name)
		tok := win.SystemToken()
		if !r.elevated {
			tok = r.req.Token
		}
		r.log.s("Executing op: RegAddValue(Name=%s,Value=%s,)", name, g.value)
		created := missingKeys(r.m, path)
		if err := r.m.Registry().CreateKey(tok, path); err != nil {
			r.rule(RuleTargetDenied)
			r.raise(MsgFileWrite, strconv.Itoa(int(model.Code(err))), path)
			return false
		}
		for i := len(created) - 1; i >= 0; i-- {
			k := created[i]
			r.undo = append(r.undo, func() { _ = r.m.Registry().DeleteKey(win.SystemToken(), k) })
		}
		if name == "+" || name == "*" || name == "-" || g.value == "" && name == "" {
			return true
		}
		old, oldErr := r.m.Registry().GetValue(win.SystemToken(), path, name)
		if err := r.m.Registry().SetValue(tok, path, r.regValue(name, g.value)); err != nil {
			r.rule(RuleTargetDenied)
			r.raise(MsgFileWrite, strconv.Itoa(int(model.Code(err))), path)
			return false
		}
		r.undo = append(r.undo, func() {
			if oldErr == nil {
				_ = r.m.Registry().SetValue(win.SystemToken(), path, old)
			} else {
				_ = r.m.Registry().DeleteValue(win.SystemToken(), path, name)
			}
		})
		return true
	}
}

// missingKeys lists the keys CreateKey would create for path, outermost first.
func missingKeys(m *model.Machine, path string) []string {
	var out []string
	for p := path; strings.Contains(p, `\`) && !m.Registry().KeyExists(nil, p); p = p[:strings.LastIndexByte(p, '\\')] {
		out = append([]string{p}, out...)
	}
	return out
}

func (r *run) removeRegistry(g regRow) scriptOp {
	return func(r *run) bool {
		path, name := r.regPath(g), r.formatted(g.name)
		r.log.s("Executing op: RegRemoveValue(Name=%s,Value=%s,)", name, g.value)
		_ = r.m.Registry().DeleteValue(win.SystemToken(), path, name)
		pruneKeys(r.m, path)
		return true
	}
}

// pruneKeys deletes path and its parents while they are empty, never
// above HKLM\SOFTWARE or HKU\<SID>\Software, and never their Microsoft
// key: a profile's Software\Microsoft holds the settings of Windows'
// components on a real host, so removing a per-user product's
// registration empties it only on the simulated one, whose profile
// skeleton has nothing else there (G: which empty keys go;
// docs/evidence.md#E-registry-prune).
func pruneKeys(m *model.Machine, path string) {
	sys := win.SystemToken()
	for strings.Count(path, `\`) > 1 && !(strings.HasPrefix(path, `HKU\`) && strings.Count(path, `\`) <= 2) && !windowsKey(path) {
		vals, err := m.Registry().Values(sys, path)
		if err != nil {
			path = path[:strings.LastIndexByte(path, '\\')]
			continue
		}
		subs, _ := m.Registry().Subkeys(sys, path)
		if len(vals) > 0 || len(subs) > 0 || m.Registry().DeleteKey(sys, path) != nil {
			return
		}
		path = path[:strings.LastIndexByte(path, '\\')]
	}
}

// windowsKey reports HKLM\SOFTWARE\Microsoft or HKU\<SID>\Software\Microsoft,
// which Windows itself keeps (G: docs/evidence.md#E-registry-prune).
func windowsKey(path string) bool {
	parts := strings.Split(strings.ToLower(path), `\`)
	switch {
	case len(parts) == 3 && parts[0] == "hklm":
		return parts[1] == "software" && parts[2] == "microsoft"
	case len(parts) == 4 && parts[0] == "hku":
		return parts[2] == "software" && parts[3] == "microsoft"
	}
	return false
}

// customAction runs or schedules a custom action (D: "Summary List of All
// Custom Action Types", "Custom Action In-Script Execution Options").
func (r *run) customAction(ca caRow) int {
	const (
		inScript      = 0x400
		rollbackOnly  = 0x100
		commitOnly    = 0x200
		noImpersonate = 0x800
	)
	base := ca.typ & 0x3F
	switch base {
	case 51: // set a property
		r.setProp(ca.source, r.formatted(ca.target))
		return 1
	case 35: // set a directory
		r.dirs[ca.source] = withSlash(r.formatted(ca.target))
		r.setProp(ca.source, r.dirs[ca.source])
		return 1
	}
	if ca.typ&inScript == 0 {
		return r.runCustomAction(ca, r.req.Token)
	}
	if ca.typ&(rollbackOnly|commitOnly) != 0 {
		return 1 // rollback and commit actions only run when the script rolls back or commits (not modelled, G)
	}
	// Deferred: the source and command are fixed now, run by the script.
	sched := ca
	sched.source, sched.target = r.caSource(ca), r.formatted(ca.target)
	r.script = append(r.script, func(r *run) bool {
		tok := r.req.Token
		if ca.typ&noImpersonate != 0 && r.elevated {
			tok = win.SystemToken()
		}
		// A deferred action has no "Action start/ended" lines of its own:
		// the script's ops name it, and its failure ends the action that
		// runs the script (R: o3de/o3de#7594, microsoft/winget-pkgs#196915).
		r.log.s("Executing op: ActionStart(Name=%s,,)", ca.name)
		r.log.s("Executing op: CustomActionSchedule(Action=%s,ActionType=%d,Source=%s,Target=%s,)", ca.name, ca.typ, sched.source, sched.target)
		return r.runCustomAction(sched, tok) != 3
	})
	return 1
}

// caSource resolves where an EXE custom action's program is.
func (r *run) caSource(ca caRow) string {
	switch ca.typ & 0x3F {
	case 50: // the program is a property's value
		return r.formatted(r.props[ca.source])
	case 34: // a directory; the target is the whole command line
		return strings.TrimSuffix(r.dirs[ca.source], `\`)
	case 18: // an installed file
		return r.formatOne("#" + ca.source)
	}
	return ca.source
}

var exitCommand = regexp.MustCompile(`(?i)^\s*/c\s+exit\s+(?:/b\s+)?(-?\d+)\s*$`)

// runCustomAction runs an EXE custom action. The simulator emulates only
// `cmd.exe /c exit N`; anything else cannot run here (G, a limit of the
// simulator, not a claim about Windows).
func (r *run) runCustomAction(ca caRow, tok *win.Token) int {
	const continueOnError = 0x40
	r.rule(RuleCustomActionRun)
	source, target := ca.source, ca.target
	if ca.typ&0x400 == 0 {
		source, target = r.caSource(ca), r.formatted(ca.target)
	}
	base := ca.typ & 0x3F
	if t := base & 0x7; t != 2 {
		r.log.note("s", MsgDLLNotRun, ca.name, source, target)
		r.raise(MsgDLLNotRun, ca.name, source, target)
		return 3
	}
	if prog := caProgram(base, source, target); prog != "" && !r.programExists(prog) {
		// The program is not there: it cannot be started (R: the logs of
		// docs/evidence.md#E-custom-action-1721, the note's arguments
		// being the action, where the program is and the command line).
		r.rule(RuleCustomActionMissing)
		r.log.note("s", MsgProgramNotRun, ca.name, source, target)
		r.raise(MsgProgramNotRun, ca.name, source, target)
		return 3
	}
	exe := strings.ToLower(source[strings.LastIndexByte(source, '\\')+1:])
	m := exitCommand.FindStringSubmatch(target)
	if exe != "cmd.exe" || m == nil {
		r.log.note("s", MsgProgramNotRun, ca.name, source, target)
		r.raise(MsgProgramNotRun, ca.name, source, target)
		return 3
	}
	code, _ := strconv.Atoi(m[1])
	if code == 0 {
		return 1
	}
	// Written for a non-zero exit code (R: the logs of docs/evidence.md#E-custom-action).
	r.log.line(fmt.Sprintf("CustomAction %s returned actual error code %d (note this may not be 100%% accurate if translation happened inside sandbox)", ca.name, code))
	if ca.typ&continueOnError != 0 {
		return 1
	}
	// R: the action's own line, its note, then the message (Particular/ServicePulse#139,
	// microsoft/winget-pkgs#196915 and #373544).
	r.rule(RuleCustomActionFailed)
	r.log.note("s", MsgProgramFailed, ca.name, source, target)
	r.raise(MsgProgramFailed, ca.name, source, target)
	return 3
}

// caProgram is the file an EXE custom action starts, when it is a full
// path: its source (types 18, 50), or the first word of a type 34's
// command line, relative to its folder. "" when it is not a path the
// simulator can look up: a Binary table stream (type 2) or a bare name
// that Windows would search the PATH for (not modelled, G).
func caProgram(base int, source, target string) string {
	prog := source
	if base == 34 {
		t := strings.TrimSpace(target)
		if strings.HasPrefix(t, `"`) {
			t = t[1:]
			if i := strings.IndexByte(t, '"'); i >= 0 {
				t = t[:i]
			}
		} else if i := strings.IndexAny(t, " \t"); i >= 0 {
			t = t[:i]
		}
		prog = t
		if !isAbsPath(prog) && prog != "" && strings.Contains(prog, `\`) {
			prog = strings.TrimSuffix(source, `\`) + `\` + prog
		}
	}
	if base&0x7 != 2 || base == 2 || !isAbsPath(prog) {
		return ""
	}
	return prog
}

func isAbsPath(p string) bool { return len(p) > 3 && p[1] == ':' && p[2] == '\\' }

// programExists reports whether a custom action's program is a file. The
// model holds only what installs and faults put there, and of C:\Windows
// only msiexec.exe and msi.dll: a program under C:\Windows (cmd.exe) is
// taken as there (G, a limit of the simulator).
func (r *run) programExists(prog string) bool {
	if strings.HasPrefix(strings.ToLower(prog), `c:\windows\`) {
		return true
	}
	fi, err := r.m.FS().Stat(prog)
	return err == nil && !fi.Dir
}

// rollback undoes the script's changes, newest first, after the failed
// action's end: the rollback script's header (R: Particular/ServiceControl#362).
func (r *run) rollback() {
	if len(r.undo) == 0 {
		return
	}
	r.log.s("Executing op: Header(Signature=1397708873,Version=500,Timestamp=0,LangId=%s,Platform=0,ScriptType=2,ScriptMajorVersion=21,ScriptMinorVersion=4,ScriptAttributes=1)", r.props["ProductLanguage"])
	for i := len(r.undo) - 1; i >= 0; i-- {
		r.undo[i]()
	}
	r.undo = nil
}
