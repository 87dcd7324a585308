package runner

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/win"
)

// TestNonElevatedCellsLogOnWithoutRecordingPasswords: the standard-user
// and admin-filtered cells log on interactively with the passwords the
// batches carry, and nothing the run writes holds either password.
func TestNonElevatedCellsLogOnWithoutRecordingPasswords(t *testing.T) {
	pool, srv, _ := gatedHost(t, "win11-24h2")
	out := t.TempDir()
	sum, err := Run(context.Background(), pool, builtinCells(t, "temp-acl-users-write-removed", "win11-24h2"), Options{Out: out, Remediate: true})
	if err != nil {
		t.Fatal(err)
	}
	contexts := map[string]bool{}
	for _, c := range sum.Cells {
		contexts[c.Context] = true
		if c.Status != results.StatusPass {
			t.Errorf("%s: %s: %s", c.ID, c.Status, c.Reason)
		}
	}
	if !contexts[ops.ContextStandardUser] || !contexts[ops.ContextAdminFiltered] {
		t.Fatalf("cells %v lack a non-elevated context", contexts)
	}
	u, _ := srv.Host().Machine().Users().Lookup("msilab-user")
	secrets := [][]byte{[]byte(srv.Password()), []byte(u.Password)}
	if u.Password == "" {
		t.Fatal("the lab user has no password")
	}
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, s) {
				t.Errorf("%s holds a password", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHostWithoutLogonRight: a host whose lab user may not log on locally
// cannot run the non-elevated contexts; preparing it fails, naming the
// right, and its cells are infrastructure errors, not product results.
func TestHostWithoutLogonRight(t *testing.T) {
	pool, srv, _ := gatedHost(t, "server2022")
	if err := srv.Host().Machine().Rights().Set(win.SystemToken(), model.RightInteractiveLogon, []win.SID{win.SIDAdministrators}); err != nil {
		t.Fatal(err)
	}
	cells := builtinCells(t, "clean-host", "server2022")
	sum, err := Run(context.Background(), pool, cells, Options{Out: t.TempDir(), Retries: 0})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sum.Cells {
		if c.Status != results.StatusInfra || !strings.Contains(c.Reason, `"Allow log on locally" (SeInteractiveLogonRight)`) {
			t.Errorf("%s: %s: %s", c.ID, c.Status, c.Reason)
		}
	}
}
