package faults

import (
	"fmt"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// AlwaysInstallElevated sets the AlwaysInstallElevated policy in HKLM and
// in the context user's HKCU: every install of that user runs elevated, so
// a standard user's silent per-machine install succeeds where it fails
// with 1925 otherwise (docs/evidence.md#E-always-elevated).
type AlwaysInstallElevated struct{}

var (
	_ Fault          = (*AlwaysInstallElevated)(nil)
	_ FollowUpProber = (*AlwaysInstallElevated)(nil)
)

func init() {
	Register(Info{
		Name: "always-install-elevated",
		Summary: `AlwaysInstallElevated = 1 in HKLM and in the context user's HKCU policy keys: a standard user's ` +
			`silent per-machine install runs elevated and succeeds (exit 0 instead of 1603)`,
		Evidence: "docs/evidence.md#E-always-elevated: AlwaysInstallElevated = 1 in HKLM and HKCU, standard user `/qn`; 0 (D, log G); " +
			"docs/evidence.md#E-policy-keys (D)",
		Inject: `registry.set AlwaysInstallElevated REG_DWORD 1 in HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer and in ` +
			`HKU\<context user's SID>\SOFTWARE\Policies\Microsoft\Windows\Installer (S-1-5-18 for system; the SID comes from user.get); ` +
			`a user who is not logged on has no HKU\<SID>: the registry ops load its NTUSER.DAT there for the op and unload it after`,
		Revert: "for each of the two values: registry.set the probed value back; or registry.delete_value when it was absent; " +
			"or registry.delete_key of the outermost key that was absent",
		New: func() Fault { return &AlwaysInstallElevated{} },
	})
}

var aieMachine = dwordValue{Key: machinePolicyKey, Name: "AlwaysInstallElevated", Root: machinePolicyRoot}

// aieUser is the value in a user's hive (HKCU for that user). A user who
// is not logged on has no HKU\<SID>: the registry ops load the hive from
// its NTUSER.DAT for each op and unload it after, so the root exists
// whenever the user has a profile.
func aieUser(sid string) dwordValue {
	return dwordValue{Key: `HKU\` + sid + `\` + userPolicyKey, Name: "AlwaysInstallElevated", Root: `HKU\` + sid}
}

// Probe reads the HKLM value, then the context user (user.get: the SID);
// for the system context, the value in S-1-5-18's hive directly.
func (f *AlwaysInstallElevated) Probe(t Target) []ops.Op {
	out := aieMachine.probe()
	if t.Context == ops.ContextSystem {
		return append(out, aieUser(string(win.SIDSystem)).probe()...)
	}
	return append(out, ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: t.ContextUser()}))
}

// ProbeFollowUp reads the value in the user's hive, named by the SID the
// first probe found.
func (f *AlwaysInstallElevated) ProbeFollowUp(t Target, first Probe) ([]ops.Op, error) {
	if t.Context == ops.ContextSystem {
		return nil, nil
	}
	sid, err := aieSID(t, first)
	if err != nil {
		return nil, err
	}
	return aieUser(sid).probe(), nil
}

// aieSID is the context user's SID from the probe (after the HKLM reads).
func aieSID(t Target, p Probe) (string, error) {
	if t.Context == ops.ContextSystem {
		return string(win.SIDSystem), nil
	}
	var u ops.User
	if err := p.result(aieMachine.probeLen(), ops.OpUserGet, &u); err != nil {
		return "", err
	}
	if !u.Exists || u.SID == "" {
		return "", hostState("no local user %q", t.ContextUser())
	}
	return u.SID, nil
}

// aieState is what the probe found: the HKLM value and the user's, or
// why the user's is not in the probe (no such user, no follow-up reads).
type aieState struct {
	machine, user dwordState
	userErr       error
}

func (f *AlwaysInstallElevated) read(t Target, p Probe) (aieState, error) {
	var st aieState
	var err error
	if st.machine, err = aieMachine.read(p, 0); err != nil {
		return st, err
	}
	sid, err := aieSID(t, p)
	if err != nil {
		st.userErr = err
		return st, nil
	}
	i := aieMachine.probeLen()
	if t.Context != ops.ContextSystem {
		i++ // user.get
	}
	uv := aieUser(sid)
	if len(p) < i+uv.probeLen() {
		st.userErr = fmt.Errorf("%w: the probe lacks the reads of %s (take it with faults.RunProbe)", ErrProbe, uv.Key)
		return st, nil
	}
	st.user, st.userErr = uv.read(p, i)
	return st, nil
}

// Inject writes 1 in both keys.
func (f *AlwaysInstallElevated) Inject(t Target, p Probe) ([]ops.Op, error) {
	st, err := f.read(t, p)
	if err != nil {
		return nil, err
	}
	switch {
	case st.userErr != nil:
		return nil, st.userErr
	case st.machine.noRoot:
		return nil, hostState("%s does not exist", machinePolicyRoot)
	case st.user.noRoot:
		return nil, hostState("%s does not exist: the user has no profile yet (user.logon creates it)", st.user.v.Root)
	}
	return []ops.Op{st.machine.set(1), st.user.set(1)}, nil
}

// Revert restores both values (or their absence); the HKLM one only when
// the probe lacks the user's, and nothing when an HKLM read failed
// (Inject refused to run then).
func (f *AlwaysInstallElevated) Revert(t Target, undo Probe) ([]ops.Op, error) {
	if undo.readFailed(0, aieMachine.probeLen()) {
		return nil, nil
	}
	st, err := f.read(t, undo)
	if err != nil {
		return nil, err
	}
	out := []ops.Op{st.machine.restore()}
	if st.userErr == nil {
		out = append(out, st.user.restore())
	}
	return out, nil
}

// Detect reports both values equal to 1.
func (f *AlwaysInstallElevated) Detect(t Target, now Probe) (Detection, error) {
	st, err := f.read(t, now)
	if err != nil {
		return Detection{}, err
	}
	if st.userErr != nil {
		return Detection{}, st.userErr
	}
	return Detection{Present: st.machine.is(1) && st.user.is(1),
		Evidence: st.machine.String() + "; " + st.user.String()}, nil
}
