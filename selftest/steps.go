package selftest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/testpkgs"
	"github.com/msilab/msilab/win"
)

// run runs every op once, in this order: reads first; then changes, each
// checked by a read in the same batch and undone by the next step, inside
// the self-test's own registry key and folder; then msiserver, put back as
// it was; then an install and its removal. Nothing it does outlives it.
func (t *tester) run() {
	t.readHost()
	t.simAndHyperV()
	t.users()
	t.events()
	t.registry()
	t.paths()
	t.mutex()
	restore := t.service()
	t.msi()
	restore()
	t.cleanup()
}

// cleanup removes what a failed step left of the self-test's own objects
// (its key, its folder and files, a mutex hold), and says so in a row of
// its own; nothing when every step undid its change.
func (t *tester) cleanup() {
	reads := []ops.Op{ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: RegistryKey}),
		ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: Folder}), ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: mutexName})}
	res, err := t.s.RunBatch(t.ctx, reads)
	if err != nil || len(res) != len(reads) {
		return
	}
	var key ops.RegistryKey
	var dir ops.PathInfo
	var mu ops.Mutex
	_, _, _ = decode(res, 0, &key), decode(res, 1, &dir), decode(res, 2, &mu)
	var undo []ops.Op
	var what []string
	if key.Exists {
		undo = append(undo, ops.MustNew(ops.OpRegistryDeleteKey, ops.RegistryKeyArgs{Path: RegistryKey}))
		what = append(what, RegistryKey)
	}
	if dir.Exists {
		for _, f := range []string{Folder + `\a.txt`, Folder + `\b.txt`, Folder} {
			undo = append(undo, ops.MustNew(ops.OpPathRemove, ops.PathRemoveArgs{Path: f}))
		}
		what = append(what, Folder)
	}
	if mu.Held {
		undo = append(undo, ops.MustNew(ops.OpMutexRelease, ops.MutexArgs{Name: mutexName}))
		what = append(what, mutexName+" (if the self-test holds it)")
	}
	if len(undo) == 0 {
		return
	}
	n := len(undo)
	t.step("cleanup", append(undo, reads[:2]...), func(res []ops.Result) (string, error) {
		for _, r := range res[:n] {
			if err := r.Decode(nil); err != nil && (r.Error == nil || r.Error.Code != ops.CodeNotFound) {
				return "", err
			}
		}
		_, _ = decode(res, n, &key), decode(res, n+1, &dir)
		if key.Exists || dir.Exists {
			return "", fmt.Errorf("could not remove what failed steps left: %s", strings.Join(what, ", "))
		}
		return "removed what failed steps left: " + strings.Join(what, ", "), nil
	})
}

func (t *tester) readHost() {
	t.step(ops.OpHostInfo, []ops.Op{ops.MustNew(ops.OpHostInfo, nil)}, func(res []ops.Result) (string, error) {
		var hi ops.HostInfo
		if err := decode(res, 0, &hi); err != nil {
			return "", err
		}
		t.rep.OS, t.rep.Build, t.rep.MsiVersion = hi.Profile, hi.Build, hi.MsiVersion
		if !hi.Elevated {
			return "", fmt.Errorf("%s's token is not elevated: msilab needs an elevated administrator", hi.User)
		}
		return fmt.Sprintf("%s build %s, msi.dll %s, %s elevated", hi.ProductName, hi.Build, hi.MsiVersion, hi.User), nil
	})
	t.step(ops.OpHostHealth, []ops.Op{ops.MustNew(ops.OpHostHealth, nil)}, func(res []ops.Result) (string, error) {
		var h ops.HostHealth
		if err := decode(res, 0, &h); err != nil {
			return "", err
		}
		return fmt.Sprintf("PowerShell %s, %s", h.PSVersion, h.LanguageMode), nil
	})
	t.step(ops.OpHostLicense, []ops.Op{ops.MustNew(ops.OpHostLicense, nil)}, func(res []ops.Result) (string, error) {
		var l ops.HostLicense
		if err := decode(res, 0, &l); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s, %s", l.Status, l.Channel), nil
	})
}

// simAndHyperV: the snapshot ops work on a simulated host only (a real
// host answers NotSupported); the Hyper-V ops name a VM no host has.
func (t *tester) simAndHyperV() {
	name := ops.SnapshotArgs{Name: snapshot}
	t.step(ops.OpSimSnapshot, []ops.Op{ops.MustNew(ops.OpSimSnapshot, name)}, func(res []ops.Result) (string, error) {
		t.sim = res[0].OK
		return expect(res[0], "a real host is reverted by its hypervisor's snapshot driver", ops.CodeNotSupported)
	})
	t.step(ops.OpSimRestore, []ops.Op{ops.MustNew(ops.OpSimRestore, name)}, func(res []ops.Result) (string, error) {
		if t.sim && !res[0].OK {
			return "", res[0].Decode(nil)
		}
		return expect(res[0], "a real host is reverted by its hypervisor's snapshot driver", ops.CodeNotSupported)
	})
	vm := ops.HyperVVMArgs{VM: NoSuchVM}
	why := "no Hyper-V here, or no VM " + NoSuchVM
	for _, op := range []ops.Op{ops.MustNew(ops.OpHyperVVMGet, vm),
		ops.MustNew(ops.OpHyperVCheckpointRestore, ops.HyperVRestoreArgs{VM: NoSuchVM, Checkpoint: snapshot}),
		ops.MustNew(ops.OpHyperVVMStart, vm)} {
		t.step(op.Name, []ops.Op{op}, func(res []ops.Result) (string, error) {
			if res[0].OK {
				return "", fmt.Errorf("found a VM named %s", NoSuchVM)
			}
			return expect(res[0], why, ops.CodeNotSupported, ops.CodeNotFound)
		})
	}
}

func (t *tester) users() {
	t.step(ops.OpUserGet, []ops.Op{ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: t.opts.StandardUser})}, func(res []ops.Result) (string, error) {
		var u ops.User
		if err := decode(res, 0, &u); err != nil {
			return "", err
		}
		if !u.Exists {
			return "", fmt.Errorf("the lab user %s does not exist (msilab run creates it; so does this self-test's preparation)", u.Name)
		}
		return u.Name + " " + u.SID, nil
	})
	t.step(ops.OpUserRights, []ops.Op{ops.MustNew(ops.OpUserRights, ops.UserArgs{Name: t.opts.StandardUser})}, nil)
	// The connecting account's own token (no password needed): an
	// elevated administrator's, whose Administrators group is enabled.
	t.step(ops.OpUserToken, []ops.Op{ops.MustNew(ops.OpUserToken, ops.UserTokenArgs{})}, func(res []ops.Result) (string, error) {
		var tok ops.UserToken
		if err := decode(res, 0, &tok); err != nil {
			return "", err
		}
		for _, g := range tok.Groups {
			if g.SID == string(win.SIDAdministrators) && win.GroupAttrs(g.Attributes)&win.GroupEnabled != 0 {
				return fmt.Sprintf("%s: %d groups, %d privileges", tok.User, len(tok.Groups), len(tok.Privileges)), nil
			}
		}
		return "", fmt.Errorf("the admin-elevated token of %q has no enabled BUILTIN\\Administrators group (%d groups)", tok.User, len(tok.Groups))
	})
	if t.opts.StandardPassword == "" {
		why := "needs the lab user's password (--standard-password-env)"
		t.skip(ops.OpUserEnsure, why)
		t.skip(ops.OpUserLogon, why)
		return
	}
	t.step(ops.OpUserEnsure, []ops.Op{ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: t.opts.StandardUser, Password: t.opts.StandardPassword})}, nil)
	t.step(ops.OpUserLogon, []ops.Op{ops.MustNew(ops.OpUserLogon, ops.UserLogonArgs{Name: t.opts.StandardUser})}, func(res []ops.Result) (string, error) {
		var l ops.UserLogon
		if err := decode(res, 0, &l); err != nil {
			return "", err
		}
		if !l.OK {
			return "", fmt.Errorf("%s", l.Problem())
		}
		return "profile " + l.Profile, nil
	})
}

func (t *tester) events() {
	res := t.step(ops.OpEventBookmark, []ops.Op{ops.MustNew(ops.OpEventBookmark, nil)}, nil)
	var b ops.EventBookmark
	if res != nil {
		_ = decode(res, 0, &b)
	}
	after := b.RecordID
	if after > 0 {
		after-- // the newest record comes back
	}
	t.step(ops.OpEventQuery, []ops.Op{ops.MustNew(ops.OpEventQuery, ops.EventQueryArgs{After: after})}, func(res []ops.Result) (string, error) {
		var l ops.EventList
		if err := decode(res, 0, &l); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d record(s) after %d", len(l.Events), after), nil
	})
}

const regValue = "selftest"

func (t *tester) registry() {
	key := ops.RegistryKeyArgs{Path: RegistryKey}
	val := ops.RegistryValueArgs{Path: RegistryKey, Name: regValue}
	get := ops.MustNew(ops.OpRegistryGet, val)
	list := ops.MustNew(ops.OpRegistryList, key)
	t.step(ops.OpRegistrySet, []ops.Op{ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: RegistryKey, Name: regValue,
		Type: "REG_SZ", String: "msilab"}), get}, func(res []ops.Result) (string, error) {
		var v ops.RegistryValue
		if _, err := allOK(res); err != nil {
			return "", err
		}
		if err := decode(res, 1, &v); err != nil || !v.Exists || v.String != "msilab" {
			return "", fmt.Errorf("registry.get after the set: %+v %v", v, err)
		}
		return RegistryKey + ` created`, nil
	})
	t.step(ops.OpRegistryGet, []ops.Op{get}, func(res []ops.Result) (string, error) {
		var v ops.RegistryValue
		if err := decode(res, 0, &v); err != nil || v.Type != "REG_SZ" || v.String != "msilab" {
			return "", fmt.Errorf("read %+v %v, want REG_SZ msilab", v, err)
		}
		return "", nil
	})
	t.step(ops.OpRegistryList, []ops.Op{list}, func(res []ops.Result) (string, error) {
		var k ops.RegistryKey
		if err := decode(res, 0, &k); err != nil || !k.Exists || len(k.Values) != 1 {
			return "", fmt.Errorf("listed %+v %v, want the key with its value", k, err)
		}
		return "", nil
	})
	t.step(ops.OpRegistryDeleteValue, []ops.Op{ops.MustNew(ops.OpRegistryDeleteValue, val), get}, func(res []ops.Result) (string, error) {
		var v ops.RegistryValue
		if _, err := allOK(res); err != nil {
			return "", err
		}
		if _ = decode(res, 1, &v); v.Exists {
			return "", fmt.Errorf("the value is still there")
		}
		return "", nil
	})
	t.step(ops.OpRegistryDeleteKey, []ops.Op{ops.MustNew(ops.OpRegistryDeleteKey, key), list}, func(res []ops.Result) (string, error) {
		var k ops.RegistryKey
		if _, err := allOK(res); err != nil {
			return "", err
		}
		if _ = decode(res, 1, &k); k.Exists {
			return "", fmt.Errorf("%s is still there", RegistryKey)
		}
		return RegistryKey + " removed", nil
	})
}

var fileContent = []byte("msilab selftest\r\n")

func (t *tester) paths() {
	file, moved := Folder+`\a.txt`, Folder+`\b.txt`
	stat := func(p string) ops.Op { return ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: p}) }
	exists := func(res []ops.Result, i int, want bool) error {
		var pi ops.PathInfo
		if err := decode(res, i, &pi); err != nil {
			return err
		}
		if pi.Exists != want {
			return fmt.Errorf("%s exists: %v, want %v", pi.Path, pi.Exists, want)
		}
		return nil
	}
	t.step(ops.OpPathCreate, []ops.Op{ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: Folder, Type: "directory"}),
		ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: file, Type: "file", Content: fileContent}), stat(file)},
		func(res []ops.Result) (string, error) {
			if _, err := allOK(res); err != nil {
				return "", err
			}
			return Folder + ` and a.txt created`, exists(res, 2, true)
		})
	t.step(ops.OpPathStat, []ops.Op{stat(Folder)}, func(res []ops.Result) (string, error) {
		var pi ops.PathInfo
		if err := decode(res, 0, &pi); err != nil || !pi.Exists || !pi.IsDir {
			return "", fmt.Errorf("stat %+v %v, want a folder", pi, err)
		}
		return "", nil
	})
	t.step(ops.OpPathList, []ops.Op{ops.MustNew(ops.OpPathList, ops.PathArgs{Path: Folder})}, func(res []ops.Result) (string, error) {
		var l ops.PathList
		if err := decode(res, 0, &l); err != nil || len(l.Entries) != 1 {
			return "", fmt.Errorf("listed %+v %v, want a.txt alone", l, err)
		}
		return "", nil
	})
	t.step(ops.OpPathHash, []ops.Op{ops.MustNew(ops.OpPathHash, ops.PathHashArgs{Path: file})}, func(res []ops.Result) (string, error) {
		var h ops.PathHash
		sum := sha256.Sum256(fileContent)
		want := strings.ToUpper(hex.EncodeToString(sum[:]))
		if err := decode(res, 0, &h); err != nil || h.SHA256 != want || h.Size != int64(len(fileContent)) {
			return "", fmt.Errorf("hash %+v %v, want %d bytes, %s", h, err, len(fileContent), want)
		}
		return "", nil
	})
	t.acl()
	attrs := func(a ...string) ops.Op {
		return ops.MustNew(ops.OpPathSetAttributes, ops.PathSetAttributesArgs{Path: file, Attributes: a})
	}
	t.step(ops.OpPathSetAttributes, []ops.Op{attrs("Hidden"), stat(file), attrs(), stat(file)}, func(res []ops.Result) (string, error) {
		var hidden, plain ops.PathInfo
		if _, err := allOK(res); err != nil {
			return "", err
		}
		_, _ = decode(res, 1, &hidden), decode(res, 3, &plain)
		if !slices.Contains(hidden.Attributes, "Hidden") || slices.Contains(plain.Attributes, "Hidden") {
			return "", fmt.Errorf("attributes %v then %v, want Hidden then none", hidden.Attributes, plain.Attributes)
		}
		return "Hidden set, then cleared", nil
	})
	t.step(ops.OpPathMove, []ops.Op{ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: file, To: moved}), stat(file), stat(moved)},
		func(res []ops.Result) (string, error) {
			if _, err := allOK(res); err != nil {
				return "", err
			}
			if err := exists(res, 1, false); err != nil {
				return "", err
			}
			return "a.txt to b.txt", exists(res, 2, true)
		})
	t.step(ops.OpPathRemove, []ops.Op{ops.MustNew(ops.OpPathRemove, ops.PathRemoveArgs{Path: moved}),
		ops.MustNew(ops.OpPathRemove, ops.PathRemoveArgs{Path: Folder}), stat(Folder)}, func(res []ops.Result) (string, error) {
		if _, err := allOK(res); err != nil {
			return "", err
		}
		return Folder + " removed", exists(res, 2, false)
	})
}

// acl reads the self-test folder's DACL and writes it back: a change that
// must read as no change (compared by the rights it grants).
func (t *tester) acl() {
	get := ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: Folder})
	var before ops.ACL
	res := t.step(ops.OpACLGet, []ops.Op{get}, func(res []ops.Result) (string, error) {
		if err := decode(res, 0, &before); err != nil || !before.Exists || before.SDDL == "" {
			return "", fmt.Errorf("read %+v %v, want the folder's SDDL", before, err)
		}
		return "", nil
	})
	if res == nil {
		t.skip(ops.OpACLSet, "acl.get failed: nothing to write back")
		return
	}
	t.step(ops.OpACLSet, []ops.Op{ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: Folder, SDDL: before.SDDL}), get},
		func(res []ops.Result) (string, error) {
			var after ops.ACL
			if _, err := allOK(res); err != nil {
				return "", err
			}
			if err := decode(res, 1, &after); err != nil {
				return "", err
			}
			a, errA := win.ParseSDDL(before.SDDL)
			b, errB := win.ParseSDDL(after.SDDL)
			if errA != nil || errB != nil {
				return "", fmt.Errorf("unreadable SDDL: %v %v", errA, errB)
			}
			if same, why := win.SameRights(b, a, win.FileMapping); !same {
				return "", fmt.Errorf("the DACL written back grants other rights (%s): %s, then %s", why, before.SDDL, after.SDDL)
			}
			return "the DACL written back grants the same rights", nil
		})
}

func (t *tester) mutex() {
	get := ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: mutexName})
	held := func(res []ops.Result, i int, want bool) error {
		var m ops.Mutex
		if err := decode(res, i, &m); err != nil {
			return err
		}
		if m.Held != want {
			return fmt.Errorf("%s held: %v, want %v", mutexName, m.Held, want)
		}
		return nil
	}
	res := t.step(ops.OpMutexGet, []ops.Op{get}, func(res []ops.Result) (string, error) {
		return "", held(res, 0, false)
	})
	if res == nil {
		t.skip(ops.OpMutexHold, "the execution mutex is held or unreadable: another install may be running")
		t.skip(ops.OpMutexRelease, "nothing held")
		return
	}
	t.step(ops.OpMutexHold, []ops.Op{ops.MustNew(ops.OpMutexHold, ops.MutexHoldArgs{Name: mutexName, Seconds: 120}), get},
		func(res []ops.Result) (string, error) {
			if _, err := allOK(res); err != nil {
				return "", err
			}
			return "held for at most 120 s", held(res, 1, true)
		})
	t.step(ops.OpMutexRelease, []ops.Op{ops.MustNew(ops.OpMutexRelease, ops.MutexArgs{Name: mutexName}), get},
		func(res []ops.Result) (string, error) {
			if _, err := allOK(res); err != nil {
				return "", err
			}
			return "", held(res, 1, false)
		})
}

// service exercises msiserver: its start type written as it is, started
// and stopped, unregistered and registered again (msiexec /unregister,
// /regserver). It returns the step that puts back its start type and
// running state, run after the install (which starts a demand-start
// msiserver).
func (t *tester) service() (restore func()) {
	svcArgs := ops.ServiceArgs{Name: ops.InstallerService}
	get := ops.MustNew(ops.OpServiceGet, svcArgs)
	var before ops.Service
	res := t.step(ops.OpServiceGet, []ops.Op{get}, func(res []ops.Result) (string, error) {
		if err := decode(res, 0, &before); err != nil || !before.Exists {
			return "", fmt.Errorf("msiserver: %+v %v, want it registered", before, err)
		}
		return fmt.Sprintf("%s, %s", before.StartType, before.State), nil
	})
	if res == nil {
		for _, op := range []string{ops.OpServiceSetStart, ops.OpServiceStart, ops.OpServiceStop, ops.OpInstallerUnregister, ops.OpInstallerRegister, ops.OpServiceConfigure} {
			t.skip(op, "msiserver could not be read")
		}
		return func() {}
	}
	setStart := func(st string) ops.Op {
		return ops.MustNew(ops.OpServiceSetStart, ops.ServiceSetStartArgs{Name: ops.InstallerService, StartType: st})
	}
	state := func(res []ops.Result, i int, want string) error {
		var s ops.Service
		if err := decode(res, i, &s); err != nil {
			return err
		}
		if s.State != want {
			return fmt.Errorf("msiserver is %s, want %s", s.State, want)
		}
		return nil
	}
	t.step(ops.OpServiceSetStart, []ops.Op{setStart(before.StartType), get}, func(res []ops.Result) (string, error) {
		var s ops.Service
		if _, err := allOK(res); err != nil {
			return "", err
		}
		if err := decode(res, 1, &s); err != nil || s.StartType != before.StartType {
			return "", fmt.Errorf("start type %s after writing %s (%v)", s.StartType, before.StartType, err)
		}
		return before.StartType + " written as it was", nil
	})
	if before.StartType == "Disabled" {
		for _, op := range []string{ops.OpServiceStart, ops.OpServiceStop, ops.OpInstallerUnregister, ops.OpInstallerRegister, ops.OpServiceConfigure} {
			t.skip(op, "msiserver is disabled on this host: fix that first (msilab doctor)")
		}
		return func() {}
	}
	t.step(ops.OpServiceStart, []ops.Op{ops.MustNew(ops.OpServiceStart, svcArgs), get}, func(res []ops.Result) (string, error) {
		if _, err := allOK(res); err != nil {
			return "", err
		}
		return "", state(res, 1, "Running")
	})
	stopped := t.step(ops.OpServiceStop, []ops.Op{ops.MustNew(ops.OpServiceStop, svcArgs), get}, func(res []ops.Result) (string, error) {
		if _, err := allOK(res); err != nil {
			return "", err
		}
		return "", state(res, 1, "Stopped")
	})
	if stopped == nil {
		t.skip(ops.OpInstallerUnregister, "msiserver did not stop: unregistering a running service marks it for deletion")
		t.skip(ops.OpInstallerRegister, "not unregistered")
		t.skip(ops.OpServiceConfigure, "not unregistered")
	} else {
		t.step(ops.OpInstallerUnregister, []ops.Op{ops.MustNew(ops.OpInstallerUnregister, nil), get}, func(res []ops.Result) (string, error) {
			var s ops.Service
			if _, err := allOK(res); err != nil {
				return "", err
			}
			if _ = decode(res, 1, &s); s.Exists {
				return "", fmt.Errorf("msiserver is still registered")
			}
			return "msiserver deleted", nil
		})
		t.step(ops.OpInstallerRegister, []ops.Op{ops.MustNew(ops.OpInstallerRegister, nil), get}, func(res []ops.Result) (string, error) {
			var s ops.Service
			if _, err := allOK(res); err != nil {
				return "", err
			}
			if _ = decode(res, 1, &s); !s.Exists {
				return "", fmt.Errorf("msiserver is not registered")
			}
			return "msiserver registered: " + s.StartType, nil
		})
		// msiexec /regserver writes its own values (docs/evidence.md#E-regserver-config):
		// the configuration read first is written back whole.
		cfg := ops.ConfigureAs(before)
		cfg.Name = ops.InstallerService
		t.step(ops.OpServiceConfigure, []ops.Op{ops.MustNew(ops.OpServiceConfigure, cfg), get}, func(res []ops.Result) (string, error) {
			var s ops.Service
			if _, err := allOK(res); err != nil {
				return "", err
			}
			if err := decode(res, 1, &s); err != nil {
				return "", err
			}
			if remediation.ServiceMeaning(before) != remediation.ServiceMeaning(s) {
				return "", fmt.Errorf("msiserver reads %+v after writing %+v", s, before)
			}
			return "msiserver's configuration written back as read", nil
		})
	}
	// Back as it was: the start type (msiexec /regserver writes Manual),
	// then the running state.
	return func() {
		batch := []ops.Op{setStart(before.StartType), ops.MustNew(ops.OpServiceStop, svcArgs).AfterPrevious()}
		if before.State == "Running" {
			batch[1] = ops.MustNew(ops.OpServiceStart, svcArgs).AfterPrevious()
		}
		t.step("service.set_start (restore)", append(batch, get), func(res []ops.Result) (string, error) {
			if _, err := allOK(res); err != nil {
				return "", err
			}
			return "msiserver " + before.StartType + " and " + before.State + " again", state(res, 2, before.State)
		})
	}
}

// msi installs the test package and removes it, both admin-elevated.
func (t *tester) msi() {
	info, err := testpkgs.Lookup(Package)
	if err != nil {
		t.skip(ops.OpMsiInstall, err.Error())
		t.skip(ops.OpMsiUninstall, err.Error())
		return
	}
	run := func(res []ops.Result) (string, error) {
		var r ops.MsiRun
		if err := decode(res, 0, &r); err != nil {
			return "", err
		}
		if r.ExitCode != 0 && !r.RebootRequired {
			return "", fmt.Errorf("%s exited %d%s", r.CommandLine, r.ExitCode, logTail(r.Log))
		}
		note := fmt.Sprintf("exit %d, %d event(s)", r.ExitCode, len(r.Events))
		if r.RebootRequired {
			note += ", reboot required"
		}
		return note, nil
	}
	installed := t.step(ops.OpMsiInstall, []ops.Op{ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: packagePath()})}, run)
	if installed == nil {
		// A failed install may have left the product: remove it anyway.
		t.step(ops.OpMsiUninstall+" (cleanup)", []ops.Op{ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: info.ProductCode})}, nil)
		return
	}
	t.step(ops.OpMsiUninstall, []ops.Op{ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: info.ProductCode})}, run)
}

// logTail is the end of a verbose log, for a failed run's notes.
func logTail(log string) string {
	log = strings.TrimSpace(log)
	if log == "" {
		return " (no verbose log)"
	}
	lines := bytes.Split([]byte(log), []byte("\n"))
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return "; log ends: " + strings.TrimSpace(string(bytes.Join(lines, []byte(" | "))))
}
