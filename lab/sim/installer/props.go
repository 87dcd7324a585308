package installer

import (
	"strconv"
	"strings"

	"github.com/msilab/msilab/win"
)

// initProperties sets the Property table, the command line's public
// properties and the installer's own (D: "Property Reference").
func (r *run) initProperties() {
	r.props = map[string]string{}
	for k, v := range r.pkg.props {
		r.props[k] = v
	}
	for k, v := range r.req.Properties {
		r.props[strings.ToUpper(k)] = v
	}
	prof := r.m.Profile()
	// R: msi.dll reports Windows 10 and later as 6.3 (603), build 9600,
	// for compatibility; the real build is in the registry only.
	r.setDefault("VersionNT", "603")
	r.setDefault("VersionNT64", "603")
	r.setDefault("WindowsBuild", "9600")
	r.setDefault("MsiNTProductType", map[win.Edition]string{win.EditionClient: "1", win.EditionServer: "3"}[prof.Edition])
	r.setDefault("VersionMsi", "5.00")
	r.setDefault("INSTALLLEVEL", "1")
	r.setDefault("ROOTDRIVE", `C:\`)
	r.setDefault("ComputerName", r.m.Hostname())
	r.setDefault("UserSID", string(r.req.Token.User))
	r.setDefault("LogonUser", r.req.User)
	ui := "2" // INSTALLUILEVEL_NONE
	if r.req.UI == UIFull {
		ui = "5"
	}
	r.setProp("UILevel", ui)
	if r.req.NoRestart {
		r.setProp("REBOOT", "ReallySuppress") // D: /norestart is REBOOT=ReallySuppress
	}
	r.setProp("ProductState", "-1")
	if r.installed != nil {
		r.setProp("Installed", "00:00:00")
		r.setProp("ProductState", "5")
	}
	if r.req.Action == Uninstall {
		r.setProp("REMOVE", "ALL")
	}
	r.remove = strings.EqualFold(r.props["REMOVE"], "ALL")
}

func (r *run) setProp(k, v string) {
	if v == "" {
		delete(r.props, k)
		return
	}
	r.props[k] = v
}

func (r *run) setDefault(k, v string) {
	if _, ok := r.props[k]; !ok && v != "" {
		r.props[k] = v
	}
}

// Property, Environment, ComponentState and FeatureState make a run the
// Env of its conditions.
func (r *run) Property(name string) string { return r.props[name] }

func (r *run) Environment(name string) string {
	switch strings.ToUpper(name) {
	case "TEMP", "TMP":
		return r.clientTempDir()
	case "SYSTEMROOT", "WINDIR":
		return `C:\Windows`
	case "USERPROFILE":
		return r.profile()
	case "COMSPEC":
		return `C:\Windows\system32\cmd.exe`
	}
	return ""
}

// INSTALLSTATE values (D).
const (
	stateUnknown = -1
	stateAbsent  = 2
	stateLocal   = 3
)

func (r *run) ComponentState(name string, installed bool) (int, bool) {
	if _, ok := r.pkg.comps[name]; !ok {
		return stateUnknown, false
	}
	if installed {
		if r.installed != nil {
			return stateLocal, true
		}
		return stateAbsent, true
	}
	return r.componentAction(name), true
}

func (r *run) FeatureState(name string, installed bool) (int, bool) {
	for _, f := range r.pkg.features {
		if f.name != name {
			continue
		}
		if installed {
			if r.installed != nil {
				return stateLocal, true
			}
			return stateAbsent, true
		}
		return r.featureAction(f), true
	}
	return stateUnknown, false
}

// featureAction is what happens to a feature: installed when its level is
// from 1 to INSTALLLEVEL on a first install, removed with REMOVE=ALL,
// unchanged in maintenance mode (D: "INSTALLLEVEL", "Feature table").
func (r *run) featureAction(f featRow) int {
	switch {
	case r.remove:
		if r.installed != nil {
			return stateAbsent
		}
		return stateUnknown
	case r.maint:
		return stateUnknown
	}
	level, _ := strconv.Atoi(r.props["INSTALLLEVEL"])
	if f.level < 1 || f.level > level {
		return stateUnknown
	}
	for _, p := range r.pkg.features {
		if p.name == f.parent && f.parent != "" && r.featureAction(p) != stateLocal {
			return stateUnknown
		}
	}
	return stateLocal
}

// componentAction follows the features that contain it and its condition.
func (r *run) componentAction(comp string) int {
	c := r.pkg.comps[comp]
	for _, f := range r.pkg.features {
		if !containsComp(r.pkg.featComps[f.name], comp) {
			continue
		}
		switch r.featureAction(f) {
		case stateLocal:
			if ok, err := EvalCondition(c.condition, r); err == nil && ok {
				return stateLocal
			}
		case stateAbsent:
			return stateAbsent
		}
	}
	return stateUnknown
}

func containsComp(list []string, c string) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// resolveDirectories resolves the Directory table (CostFinalize): system
// folder properties first, then each row under its parent (D: "System
// Folder Properties", "Directory table").
func (r *run) resolveDirectories() {
	prof := r.profile()
	pf86, pf := `C:\Program Files (x86)\`, `C:\Program Files\`
	sys := map[string]string{
		"TARGETDIR":            r.props["ROOTDRIVE"],
		"ProgramFilesFolder":   pf86,
		"ProgramFiles64Folder": pf,
		"CommonFilesFolder":    pf86 + `Common Files\`,
		"CommonFiles64Folder":  pf + `Common Files\`,
		"WindowsFolder":        `C:\Windows\`,
		"WindowsVolume":        `C:\`,
		"SystemFolder":         `C:\Windows\SysWOW64\`,
		"System64Folder":       `C:\Windows\System32\`,
		"TempFolder":           r.clientTempDir() + `\`,
		"CommonAppDataFolder":  `C:\ProgramData\`,
		"LocalAppDataFolder":   prof + `\AppData\Local\`,
		"AppDataFolder":        prof + `\AppData\Roaming\`,
		"PersonalFolder":       prof + `\Documents\`,
		"DesktopFolder":        prof + `\Desktop\`,
		"ProgramMenuFolder":    prof + `\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\`,
	}
	if r.perMachine {
		sys["DesktopFolder"] = `C:\Users\Public\Desktop\`
		sys["ProgramMenuFolder"] = `C:\ProgramData\Microsoft\Windows\Start Menu\Programs\`
	}
	if !r.pkg.x64 { // a 32-bit package's SystemFolder is SysWOW64 (D)
		sys["System64Folder"] = `C:\Windows\System32\`
	}
	r.dirs = map[string]string{}
	for k, v := range sys {
		r.setDefault(k, v)
	}
	var resolve func(id string, depth int) string
	resolve = func(id string, depth int) string {
		if p, ok := r.dirs[id]; ok {
			return p
		}
		if v := r.props[id]; v != "" && (id != "TARGETDIR" || r.req.Properties["TARGETDIR"] != "") {
			r.dirs[id] = withSlash(v)
			return r.dirs[id]
		}
		if v, ok := sys[id]; ok {
			r.dirs[id] = v
			return v
		}
		row, ok := r.pkg.dirs[id]
		if !ok || depth > 64 || row.parent == "" || row.parent == id {
			r.dirs[id] = r.props["ROOTDRIVE"]
			return r.dirs[id]
		}
		parent := resolve(row.parent, depth+1)
		name := longName(strings.SplitN(row.defaultDir, ":", 2)[0])
		if name == "." || name == "" {
			r.dirs[id] = parent
		} else {
			r.dirs[id] = parent + name + `\`
		}
		return r.dirs[id]
	}
	for _, id := range sortedKeys(r.pkg.dirs) {
		r.props[id] = resolve(id, 0)
	}
}

func withSlash(p string) string {
	if strings.HasSuffix(p, `\`) {
		return p
	}
	return p + `\`
}

// formatted expands [PROPERTY], [#file], [!file], [$component], [%ENV]
// and [\c] in s (D: "Formatted" column type).
func (r *run) formatted(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(r.formatOne(s[i+1 : i+j]))
		s = s[i+j+1:]
	}
}

func (r *run) formatOne(key string) string {
	if key == "" {
		return "[]"
	}
	switch key[0] {
	case '\\':
		return key[1:]
	case '~':
		return "\x00"
	case '%':
		return r.Environment(key[1:])
	case '#', '!':
		for _, f := range r.pkg.files {
			if f.key == key[1:] {
				return r.dirs[r.pkg.comps[f.comp].dir] + f.name
			}
		}
		return ""
	case '$':
		return r.dirs[r.pkg.comps[key[1:]].dir]
	}
	return r.props[key]
}
