package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// bareHost is a simulated host and a session to it, with the lab's
// standard user but nothing of msilab's on it yet.
func bareHost(t *testing.T) (*sim.Server, lab.Session, *model.Machine, *win.Token) {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: "win11-24h2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	m := srv.Host().Machine()
	if _, err := m.Users().Ensure(win.SystemToken(), model.UserSpec{Name: "msilab-user", Password: "Std-Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	user, err := m.Token(win.KindStandardUser, "msilab-user")
	if err != nil {
		t.Fatal(err)
	}
	host, port := srv.HostPort()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s, err := lab.Dial(ctx, lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password(), Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return srv, s, m, user
}

func hostInfo(s lab.Session) error {
	_, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpHostInfo, nil)})
	return err
}

// C:\ProgramData\msilab made as msilab made it before (inheriting
// C:\ProgramData's ACL) lets the standard user plant files, the module's
// temporary file included. The session refuses such a host, typed, without
// writing anything there; the fix-up (ops.HostDirScript, as the Packer
// provisioner runs it) gives the folder its protected DACL, and then the
// standard user can create nothing in it nor in the folders below.
func TestHostDirInheritedACLIsRefused(t *testing.T) {
	_, s, m, user := bareHost(t)
	fs := m.FS()
	admin, err := m.Token(win.KindAdminElevated, "msilab")
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.MkdirAll(admin, ops.HostDir+`\packages`); err != nil {
		t.Fatal(err)
	}
	// Before: the standard user creates files and folders there.
	for _, p := range []string{ops.ModulePath + ".msilab-upload", ops.HostDir + `\packages\permachine.msi`} {
		if err := fs.WriteFile(user, p, []byte("planted")); err != nil {
			t.Fatalf("with the inherited ACL the standard user cannot create %s: %v", p, err)
		}
	}
	if err := fs.Mkdir(user, ops.HostDir+`\mutex`); err != nil {
		t.Fatalf("with the inherited ACL the standard user cannot create a folder: %v", err)
	}
	before := m.State()

	// The module's install and an upload refuse the host.
	var he *ops.HostDirError
	err = hostInfo(s)
	if !errors.As(err, &he) || !strings.Contains(he.Problem, "inherits; want it protected") {
		t.Fatalf("a batch on a host whose folder inherits: %v", err)
	}
	if !strings.Contains(err.Error(), ops.HostDirSDDL) || !strings.Contains(err.Error(), "Remove the folder") {
		t.Errorf("the error does not say what msilab wants and how to fix it: %v", err)
	}
	if _, err := s.Upload(context.Background(), bytes.NewReader([]byte("package")), lab.PackageDir+`\other.msi`); !errors.As(err, &he) {
		t.Fatalf("an upload to a host whose folder inherits: %v", err)
	}
	onlyBefore, onlyAfter := model.DiffState(before, m.State())
	for _, l := range append(onlyBefore, onlyAfter...) {
		if strings.Contains(l, `programdata\msilab`) {
			t.Errorf("the refused host changed: %s", l)
		}
	}

	// The fix-up, as the Packer provisioner applies it.
	req, _ := json.Marshal(ops.HostDirRequest{Path: ops.HostDir, SDDL: ops.HostDirSDDL})
	if _, err := s.Run(context.Background(), lab.Command{Line: ops.EncodedCommand(ops.HostDirScript), Stdin: bytes.NewReader(req)}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ops.HostDir + `\new.txt`, ops.HostDir + `\packages\new.msi`} {
		if err := fs.WriteFile(user, p, []byte("planted")); !errors.Is(err, model.ErrAccessDenied) {
			t.Errorf("after the fix-up the standard user creates %s: %v", p, err)
		}
	}
	if err := fs.Mkdir(user, ops.HostDir+`\runs`); !errors.Is(err, model.ErrAccessDenied) {
		t.Errorf("after the fix-up the standard user creates a folder: %v", err)
	}
	// The standard user's file planted before the fix-up is still there,
	// still theirs: the module's install refuses to use it.
	if err := hostInfo(s); !errors.Is(err, lab.ErrPlantedFile) || !strings.Contains(err.Error(), ops.ModulePath+".msilab-upload") {
		t.Fatalf("the module's install over a planted temporary file: %v", err)
	}
	if mod, err := fs.Stat(ops.ModulePath); err == nil {
		t.Fatalf("a module was installed through the planted file: %+v", mod)
	}
	if err := fs.Remove(admin, ops.ModulePath+".msilab-upload"); err != nil {
		t.Fatal(err)
	}
	if err := hostInfo(s); err != nil {
		t.Fatalf("after the fix-up: %v", err)
	}
	mod, err := fs.Stat(ops.ModulePath)
	if err != nil || mod.Owner != win.SIDAdministrators {
		t.Errorf("the module is not owned by Administrators: %+v %v", mod, err)
	}
}

// On a new host the first batch makes the folder with its protected DACL
// (the module's bootstrap): the standard user can create nothing in it or
// below it, and it grants what ops.HostDirSDDL grants.
func TestHostDirBootstrap(t *testing.T) {
	_, s, m, user := bareHost(t)
	if err := hostInfo(s); err != nil {
		t.Fatal(err)
	}
	data := []byte("package")
	if _, _, err := lab.EnsureFile(context.Background(), s, data, lab.PackageDir+`\permachine.msi`); err != nil {
		t.Fatal(err)
	}
	if err := hostInfo(s); err != nil {
		t.Fatal(err)
	}
	sd, err := m.FS().GetSecurity(win.SystemToken(), ops.HostDir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := win.ParseSDDL(ops.HostDirSDDL)
	if ok, why := win.SameRights(sd, want, win.FileMapping); !ok {
		t.Errorf("%s: %s", ops.HostDir, why)
	}
	for _, dir := range []string{ops.HostDir, lab.PackageDir, ops.StagingDir} {
		if err := m.FS().WriteFile(user, dir+`\planted.msi`, []byte("x")); !errors.Is(err, model.ErrAccessDenied) {
			t.Errorf("the standard user creates a file in %s: %v", dir, err)
		}
	}
	for _, f := range []string{ops.ModulePath, lab.PackageDir + `\permachine.msi`} {
		if fi, err := m.FS().Stat(f); err != nil || fi.Owner != win.SIDAdministrators {
			t.Errorf("%s is not owned by Administrators: %+v %v", f, fi, err)
		}
	}
}

// A junction (a reparse point) where the host folder should be, which
// any user may make in C:\ProgramData, is refused: msilab never writes
// through it.
func TestHostDirJunctionIsRefused(t *testing.T) {
	_, s, m, user := bareHost(t)
	if err := m.FS().Junction(user, ops.HostDir, `C:\Users\msilab-user\AppData\Local\Temp`); err != nil {
		t.Fatalf("the standard user cannot make a junction in C:\\ProgramData: %v", err)
	}
	var he *ops.HostDirError
	if err := hostInfo(s); !errors.As(err, &he) || !strings.Contains(he.Problem, "reparse point") {
		t.Fatalf("a batch through a junction: %v", err)
	}
	if _, err := s.Upload(context.Background(), bytes.NewReader([]byte("package")), lab.PackageDir+`\p.msi`); !errors.As(err, &he) {
		t.Fatalf("an upload through a junction: %v", err)
	}
	if kids, _ := m.FS().ReadDir(win.SystemToken(), ops.HostDir); len(kids) != 0 {
		t.Errorf("msilab wrote through the junction: %+v", kids)
	}
}
