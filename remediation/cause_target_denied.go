package remediation

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/win"
)

// FindingTargetDenied: a target folder or file cannot be created or
// written (docs/evidence.md#E-target-denied).
const FindingTargetDenied = "target-denied"

func init() {
	RegisterCause(Cause{
		ID:      FindingTargetDenied,
		Rank:    170,
		Summary: `a target folder or file cannot be created or written (1303, or 1310/1304 with access denied): its ACL or a read-only attribute keeps the installing account out`,
		Label:   "D (messages), R (shapes, the fix), G (the rights the check asks of the folder)",
		Sources: []string{"docs/evidence.md#E-target-denied", "docs/evidence.md#E-target-acl",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		Scenario: "target-acl-system-denied",
		Fixes:    []string{"restore-target-acl"},
		RuledOutBy: "the named folder, and the folder above it, giving SYSTEM and Administrators what an install needs " +
			"(msilab diagnose --host reads them); a 1310 with system error 32 is a file in use (close the program or reboot), not a denial",
		Signature: []Sig{Msg(1303), Msg(1310, ArgIs(1, "5")), Msg(1304)},
		Log: func(in *Input) *LogVerdict {
			if m, ok := in.First(Msg(1303)); ok {
				return &LogVerdict{Confidence: 0.9, Lines: append([]msilog.Line{m}, in.exitLines()...),
					Notes: []string{fmt.Sprintf("1303: the installer has insufficient privileges on %s (D)", m.Arg(0))}}
			}
			if m, ok := in.First(Msg(1310)); ok {
				conf, what := 0.9, "access denied"
				if m.Arg(1) != "5" {
					conf, what = 0.45, fmt.Sprintf("system error %s (%s)", m.Arg(1), orAny(msilog.SystemError(m.Arg(1))))
				}
				return &LogVerdict{Confidence: conf, Lines: append([]msilog.Line{m}, in.exitLines()...),
					Notes: []string{fmt.Sprintf("1310: writing %s failed: %s", m.Arg(0), what)}}
			}
			if m, ok := in.First(Msg(1304)); ok {
				return &LogVerdict{Confidence: 0.6, Lines: append([]msilog.Line{m}, in.exitLines()...),
					Notes: []string{fmt.Sprintf("1304: writing %s failed (no system error given: in use or denied)", m.Arg(0))}}
			}
			return nil
		},
		// The folder the 1303 names, and the folder above it (where a
		// missing folder is created): their existence and ACL.
		RunProbes: func(_ faults.Target, in *Input) []ops.Op {
			var out []ops.Op
			for _, p := range targetPaths(in) {
				out = append(out, pathStat(p), aclGet(p))
			}
			return out
		},
		Host: func(h *HostView) HostVerdict {
			fs := targetFolders(h.St)
			if len(fs) == 0 || nonElevated(h.Context) {
				// Not read, or the user's own token writes the files:
				// only a rerun tells.
				return HostVerdict{Holds: true}
			}
			var ev []string
			denied, read := false, false
			for _, f := range fs {
				switch {
				case !f.Exists():
					ev = append(ev, f.Path+": does not exist")
				case f.ACL.SDDL == "":
					denied = true
					ev = append(ev, f.Path+": its ACL cannot be read: "+f.ACLError)
				default:
					read = true
					miss := targetLacks(f)
					if len(miss) > 0 {
						denied = true
						ev = append(ev, f.Path+": "+strings.Join(miss, "; "))
					} else {
						ev = append(ev, f.Path+": SYSTEM and Administrators have what an install needs")
					}
				}
			}
			if !read && !denied {
				return HostVerdict{Holds: true, Evidence: ev}
			}
			return HostVerdict{Run: sign(denied), Holds: denied, Evidence: ev}
		},
	})
}

// targetPaths are the folder a 1303 names and the folder above it.
func targetPaths(in *Input) []string {
	m, ok := in.First(Msg(1303))
	if !ok {
		return nil
	}
	p := strings.TrimRight(strings.TrimSpace(m.Arg(0)), `\`)
	if len(p) < 4 || p[1] != ':' || p[2] != '\\' {
		return nil // not an absolute local path
	}
	out := []string{p}
	if i := strings.LastIndexByte(p, '\\'); i > 2 {
		out = append(out, p[:i])
	}
	return out
}

// targetFolders are the folders target-denied read from the run's
// evidence (its RunProbes), as the state has them.
func targetFolders(st *HostState) []Folder {
	if st == nil {
		return nil
	}
	var out []Folder
	for _, op := range st.RunProbes[FindingTargetDenied] {
		if op.Name != ops.OpPathStat {
			continue
		}
		var a ops.PathArgs
		if json.Unmarshal(op.Args, &a) != nil {
			continue
		}
		f := Folder{Path: a.Path}
		if r, ok := st.Result(op); ok {
			_ = r.Decode(&f.Stat)
		}
		acl := aclGet(a.Path)
		if r, ok := st.Result(acl); ok {
			_ = r.Decode(&f.ACL)
		} else if r, ok := st.failed(acl); ok {
			f.ACLError = r.Error.Code + ": " + r.Error.Message
		}
		out = append(out, f)
	}
	return out
}

// targetSelf is what SYSTEM (the service, for an elevated install) and an
// elevated administrator need on a target folder itself: list it and
// create files and folders in it; on what they create there they need
// full control (G: what the per-machine folders' default ACL gives them,
// docs/evidence.md#E-target-acl).
const targetSelf = win.FileListDirectory | win.FileAddFile | win.FileAddSubdirectory | win.FileTraverse |
	win.FileReadAttributes | win.Synchronize

// targetLacks lists what SYSTEM and Administrators lack of what an
// install needs on a folder (win.AccessCheck; nil: nothing, or its ACL
// cannot be read).
func targetLacks(f Folder) []string {
	sd, err := win.ParseSDDL(f.ACL.SDDL)
	if err != nil {
		return nil
	}
	var out []string
	for _, h := range fullControlHolders {
		out = append(out, lacksNeed(sd, h.sid, h.tok(), targetSelf)...)
	}
	return out
}
