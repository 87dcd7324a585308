package sim_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// An upload never opens a file someone else made: in a folder where the
// standard user may create files (one made under C:\ProgramData with its
// inherited ACL), a destination file they planted is replaced by a new
// one owned by Administrators, which they cannot write; a temporary file
// <dest>.msilab-upload they planted fails the upload, typed, and nothing
// is written; one msilab left behind (owned by Administrators) is removed.
func TestUploadNeverUsesAPlantedFile(t *testing.T) {
	_, s, m, user := bareHost(t)
	fs := m.FS()
	if err := hostInfo(s); err != nil {
		t.Fatal(err)
	}
	admin, err := m.Token(win.KindAdminElevated, "msilab")
	if err != nil {
		t.Fatal(err)
	}
	const dir = `C:\ProgramData\shared`
	if err := fs.Mkdir(admin, dir); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := []byte("the package msilab means")

	// A planted destination.
	if err := fs.WriteFile(user, dir+`\a.msi`, []byte("planted")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upload(ctx, bytes.NewReader(data), dir+`\a.msi`); err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat(dir + `\a.msi`)
	if err != nil || fi.Owner != win.SIDAdministrators {
		t.Fatalf("the uploaded file's owner: %+v %v", fi, err)
	}
	if err := fs.WriteFile(user, dir+`\a.msi`, []byte("replaced")); !errors.Is(err, model.ErrAccessDenied) {
		t.Errorf("the standard user can still write the uploaded file: %v", err)
	}

	// A planted temporary file.
	if err := fs.WriteFile(user, dir+`\b.msi.msilab-upload`, []byte("planted")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upload(ctx, bytes.NewReader(data), dir+`\b.msi`); !errors.Is(err, lab.ErrPlantedFile) {
		t.Fatalf("upload over a planted temporary file: %v", err)
	}
	if fs.Exists(dir + `\b.msi`) {
		t.Error("the refused upload wrote its destination")
	}
	if got, _ := fs.ReadFile(win.SystemToken(), dir+`\b.msi.msilab-upload`); string(got) != "planted" {
		t.Errorf("the planted file was written to: %q", got)
	}

	// msilab's own left-over temporary file.
	if err := fs.WriteFile(admin, dir+`\c.msi.msilab-upload`, []byte("cut short")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upload(ctx, bytes.NewReader(data), dir+`\c.msi`); err != nil {
		t.Fatalf("upload over msilab's own left-over: %v", err)
	}
	if got, _ := fs.ReadFile(win.SystemToken(), dir+`\c.msi`); string(got) != string(data) || fs.Exists(dir+`\c.msi.msilab-upload`) {
		t.Errorf("after the upload: %q, left-over still there: %v", got, fs.Exists(dir+`\c.msi.msilab-upload`))
	}
}
