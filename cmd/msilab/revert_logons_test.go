package main

import (
	"context"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/testpkgs"
)

// TestRevertRemovesStandardUserProduct: a per-user product a killed cell
// installed as the standard user is removed in that context, whose
// interactive logon needs the user's password, which msilab keeps nowhere:
// revert sets a fresh one first. Without the logons the removal fails.
func TestRevertRemovesStandardUserProduct(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2", "peruser")
	info, err := testpkgs.Lookup("peruser")
	if err != nil {
		t.Fatal(err)
	}
	var run ops.MsiRun
	install := ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: lab.PackageDir + `\peruser.msi`, Context: ops.ContextStandardUser})
	if err := h.Run(install)[0].Decode(&run); err != nil || run.ExitCode != 0 {
		t.Fatalf("install as the standard user: %v, exit %d", err, run.ExitCode)
	}
	entries := []journal.Entry{{Kind: journal.KindInstall, Cell: "c", Host: "h", Product: info.ProductCode,
		Target:  faults.Target{AdminUser: h.Srv.User(), StandardUser: ops.DefaultStandardUser, Context: ops.ContextStandardUser},
		Context: ops.ContextStandardUser, User: ops.DefaultStandardUser}}
	batch, err := journal.RevertOps(entries)
	if err != nil {
		t.Fatal(err)
	}
	// No logons: the interactive logon has no password.
	res, err := h.S.RunBatch(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if journal.CheckRevert(res) == nil {
		t.Fatalf("a standard-user removal without its password succeeded")
	}
	host, port := h.Srv.HostPort()
	ep := lab.Endpoint{Host: host, Port: port, User: h.Srv.User(), Password: h.Srv.Password(), Auth: lab.AuthBasic}
	logons, err := revertLogons(context.Background(), h.S, ep, nil, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(logons) != 2 || logons[1].User != ops.DefaultStandardUser || logons[1].Password == testlab.StandardPassword {
		t.Fatalf("logons %v: want the admin's and a fresh one for %s", logons, ops.DefaultStandardUser)
	}
	res, err = h.S.RunBatch(lab.WithLogons(context.Background(), logons...), batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := journal.CheckRevert(res); err != nil {
		t.Fatalf("revert with the logons: %v", err)
	}
	var after ops.MsiRun
	if err := res[0].Decode(&after); err != nil || after.ExitCode != 0 {
		t.Errorf("removal: %v, exit %d\n%s", err, after.ExitCode, after.Log)
	}
}
