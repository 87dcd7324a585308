package reproduce

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/win"
)

// ProfileChoice is the OS profile picked for a reproduction, and why.
type ProfileChoice struct {
	Name string `json:"name"`
	// Why are the log's values read and what each said.
	Why []string `json:"why"`
	// Ties are the other profiles the log cannot tell from it.
	Ties []string `json:"ties,omitempty"`
}

// headerBuild is the msi.dll build of the header's "Build type: SHIP UNICODE 5.00.N.00".
var headerBuild = regexp.MustCompile(`5\.00\.(\d+)\.00`)

// property is the value of a property the input shows ("" none).
func property(lg *msilog.Log, name string) string {
	for _, l := range lg.Lines {
		if l.Kind == msilog.KindProperty && strings.EqualFold(l.Name, name) {
			return strings.TrimSpace(l.Arg(0))
		}
	}
	return ""
}

// PickProfile picks, among the profiles a scenario applies to (all when
// allowed is empty), the one closest to the log: MsiNTProductType (1 a
// client, 2 or 3 a server), VersionNT and WindowsBuild, the msi.dll
// build in the header, the system drive, and the computer name when it
// is a simulated profile's own. Windows 10, 11 and Server 2016 and later
// all print VersionNT 603, WindowsBuild 9600 and 5.00.10011.00
// (docs/evidence.md#E-log): among those the newest build is taken (the
// oldest when the log shows an older Windows), and the others are named
// as ties.
func PickProfile(lg *msilog.Log, allowed []string) (ProfileChoice, error) {
	var cands []win.Profile
	for _, p := range win.Profiles() {
		if len(allowed) == 0 || slices.Contains(allowed, p.Name) {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return ProfileChoice{}, fmt.Errorf("reproduce: no OS profile among %v", allowed)
	}
	var why []string
	score := map[string]int{}
	older := false // a build older than every profile's: the oldest is nearest
	switch pt := property(lg, "MsiNTProductType"); pt {
	case "":
		why = append(why, "MsiNTProductType: not in the input (client or server not known)")
	case "1", "2", "3":
		ed := win.EditionServer
		words := "a server (3) or domain controller (2)"
		if pt == "1" {
			ed, words = win.EditionClient, "a workstation (1)"
		}
		n := 0
		for _, p := range cands {
			if p.Edition == ed {
				score[p.Name] += 10
				n++
			}
		}
		why = append(why, fmt.Sprintf("MsiNTProductType = %s: %s", pt, words)+map[bool]string{true: "", false: ", but the scenario runs on no such profile"}[n > 0])
	default:
		why = append(why, fmt.Sprintf("MsiNTProductType = %s: not a known product type", pt))
	}
	for _, name := range []string{"VersionNT", "WindowsBuild"} {
		v := property(lg, name)
		switch {
		case v == "":
			why = append(why, name+": not in the input")
		case v == "603" || v == "9600":
			why = append(why, fmt.Sprintf("%s = %s: Windows 8.1 or later, which Windows 10, 11 and Server 2016+ all report (every profile)", name, v))
		default:
			hit := false
			for _, p := range cands {
				if fmt.Sprint(p.Build) == v {
					score[p.Name] += 5
					hit = true
				}
			}
			if hit {
				why = append(why, fmt.Sprintf("%s = %s: a profile's own build", name, v))
			} else {
				older = true
				why = append(why, fmt.Sprintf("%s = %s: no profile's (an older Windows): the oldest profile is the nearest", name, v))
			}
		}
	}
	hdr := ""
	for _, l := range lg.Lines {
		if l.Kind == msilog.KindHeader && l.Fact == msilog.FactStarted {
			hdr = l.Arg(1)
			break
		}
	}
	if m := headerBuild.FindStringSubmatch(hdr); m == nil {
		why = append(why, "msi.dll build: no logging-started header with a build type")
	} else if m[1] == "10011" {
		why = append(why, "msi.dll build 5.00.10011.00 (header): every Windows 10, 11 and Server 2016+ log prints it")
	} else {
		hit := false
		for _, p := range cands {
			if fmt.Sprint(p.Build) == m[1] {
				score[p.Name] += 5
				hit = true
			}
		}
		older = older || !hit
		why = append(why, fmt.Sprintf("msi.dll build 5.00.%s.00 (header): %s", m[1], map[bool]string{true: "a profile's own build", false: "no profile's build (an older Windows): the oldest profile is the nearest"}[hit]))
	}
	if d := systemDrive(lg); d == "" {
		why = append(why, `system drive: not in the input (every profile's is C:)`)
	} else if d == "C:" {
		why = append(why, "system drive C:, as every profile's")
	} else {
		why = append(why, fmt.Sprintf("system drive %s: every profile's is C: (paths are compared as %%SystemDrive%%)", d))
	}
	if cn := property(lg, "ComputerName"); cn != "" {
		for _, p := range cands {
			if strings.EqualFold(p.Hostname, cn) {
				score[p.Name] += 3
				why = append(why, fmt.Sprintf("ComputerName = %s: the simulated host name of profile %s", cn, p.Name))
			}
		}
	}
	best := cands[0]
	for _, p := range cands[1:] {
		newer := p.Build > best.Build || p.Build == best.Build && p.Name > best.Name
		if score[p.Name] > score[best.Name] || score[p.Name] == score[best.Name] && newer != older {
			best = p
		}
	}
	ch := ProfileChoice{Name: best.Name, Why: why}
	for _, p := range cands {
		if p.Name != best.Name && score[p.Name] == score[best.Name] {
			ch.Ties = append(ch.Ties, p.Name)
		}
	}
	if len(ch.Ties) > 0 {
		which := "the newest build is taken"
		if older {
			which = "the oldest build is taken, the nearest to an older Windows"
		}
		ch.Why = append(ch.Why, fmt.Sprintf("the log cannot tell %s from %s: %s", best.Name, strings.Join(ch.Ties, ", "), which))
	}
	return ch, nil
}

// PickContexts picks, among a scenario's contexts, those the log's lines
// imply: UserSID S-1-5-18 or LogonUser SYSTEM (system), MSI_LUA's
// elevation prompt disabled (not elevated), "Product installation will be
// elevated" (an elevated administrator), AdminUser = 1 in the property
// dump, or a dump without it (a standard user). With none, all.
func PickContexts(lg *msilog.Log, scContexts []string) ([]string, string) {
	if len(scContexts) == 0 {
		scContexts = []string{ops.ContextAdminElevated}
	}
	var want []string
	var why string
	has := func(f string) bool {
		return slices.ContainsFunc(lg.Lines, func(l msilog.Line) bool { return l.Kind == msilog.KindFact && l.Fact == f })
	}
	dump := slices.ContainsFunc(lg.Lines, func(l msilog.Line) bool { return l.Kind == msilog.KindProperty && l.Fact == "S" })
	switch {
	case property(lg, "UserSID") == "S-1-5-18" || strings.EqualFold(property(lg, "LogonUser"), "SYSTEM"):
		want, why = []string{ops.ContextSystem}, "the log's user is SYSTEM (UserSID S-1-5-18 or LogonUser SYSTEM)"
	case has(msilog.FactLUADisabled):
		want, why = []string{ops.ContextAdminFiltered, ops.ContextStandardUser}, "MSI_LUA: the elevation prompt was disabled: the install was not elevated"
		if property(lg, "AdminUser") == "1" {
			want, why = []string{ops.ContextAdminFiltered}, why+", by an administrator (AdminUser = 1)"
		} else if dump {
			want, why = []string{ops.ContextStandardUser}, why+", by a standard user (no AdminUser in the property dump)"
		}
	case has(msilog.FactElevated) || property(lg, "AdminUser") == "1" && property(lg, "Privileged") == "1":
		want, why = []string{ops.ContextAdminElevated, ops.ContextSystem}, "the install ran elevated (Product installation will be elevated, or AdminUser and Privileged = 1)"
	case dump && property(lg, "AdminUser") == "":
		want, why = []string{ops.ContextStandardUser}, "a standard user (the property dump has no AdminUser)"
	}
	if want == nil {
		return scContexts, "the input does not say how the install was run: every context of the scenario"
	}
	var out []string
	for _, c := range scContexts {
		if slices.Contains(want, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return scContexts, why + "; the scenario runs in none of them, so in all of its own (" + strings.Join(scContexts, ", ") + ")"
	}
	return out, why
}
