package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/scenarios/results"
)

// walkthroughYAML is the lab.yaml of the README's walkthrough.
func walkthroughYAML(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- walkthrough:lab.yaml -->\\s*```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no <!-- walkthrough:lab.yaml --> yaml block")
	}
	// The block is indented under its list item.
	var out []string
	for _, l := range strings.Split(string(m[1]), "\n") {
		out = append(out, strings.TrimPrefix(l, "   "))
	}
	return strings.Join(out, "\n")
}

func startHTTPS(t *testing.T, os string) *sim.Server {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: os, HTTPS: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// msilabOut runs the CLI and returns its stdout and stderr.
func msilabOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// The README's walkthrough, step by step, with its lab.yaml, on a
// simulated Hyper-V host whose VM win11-a is a simulated Windows 11 host:
// the clean checkpoint, doctor, a fault found, revert by snapshot,
// doctor again, run.
func TestWalkthrough(t *testing.T) {
	hv := startHTTPS(t, "server2022")
	guest := startHTTPS(t, "win11-24h2")
	hv.AddVM("win11-a", guest)
	dir := t.TempDir()
	yaml := walkthroughYAML(t)
	for _, h := range []struct {
		name string
		srv  *sim.Server
	}{{"hv1", hv}, {"win11-a", guest}} {
		host, port := h.srv.HostPort()
		yaml = strings.ReplaceAll(yaml, h.name+".lab.example:5986", host+":"+strconv.Itoa(port))
		pem := filepath.Join(dir, h.name+"-winrm.pem")
		if err := os.WriteFile(pem, h.srv.CertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		yaml = strings.ReplaceAll(yaml, "ca_file: "+h.name+"-winrm.pem", "ca_file: "+pem)
	}
	// Basic, not the README's NTLM: the simulated host refuses NTLM now
	// and then (see opOn in diagnose_test.go).
	yaml = strings.ReplaceAll(yaml, "auth: ntlm", "auth: basic")
	labYAML := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(labYAML, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MSILAB_HV1_PASSWORD", hv.Password())
	t.Setenv("MSILAB_WIN11_A_PASSWORD", guest.Password())

	// 1–2. The image as the provisioner leaves it (the lab user), then the
	// clean checkpoint.
	ep := lab.Endpoint{Host: "127.0.0.1", Auth: lab.AuthBasic, User: guest.User(), Password: guest.Password(), HTTPS: true, Insecure: true}
	ep.Host, ep.Port = guest.HostPort()
	s, err := lab.Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	mustBatch := func(op ops.Op) {
		t.Helper()
		out, err := s.RunBatch(context.Background(), []ops.Op{op})
		if err == nil {
			err = out[0].Decode(nil)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	mustBatch(ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: ops.DefaultStandardUser, Password: "Std-Passw0rd!"}))
	if err := hv.Checkpoint("win11-a", "msilab-clean", sim.CheckpointProduction); err != nil {
		t.Fatal(err)
	}

	// 4. The doctor passes the clean host.
	out, err := msilabOut(t, "doctor", "--lab", labYAML)
	if err != nil || !strings.Contains(out, "1 host(s) ready to run cells") || !strings.Contains(out, "hyperv:msilab-clean") {
		t.Fatalf("doctor on the clean lab: %v\n%s", err, out)
	}
	// A fault left behind is found, with its fix.
	mustBatch(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: `C:\Windows\Temp`,
		SDDL: "D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"}))
	s.Close()
	out, err = msilabOut(t, "doctor", "--lab", labYAML)
	var code *exitCodeError
	if !errors.As(err, &code) || code.code != 1 || !strings.Contains(out, `temp-acl {"variant":"users-write-removed"} is present`) ||
		!strings.Contains(out, "fix: msilab remediate") {
		t.Fatalf("doctor with Users' write removed from Temp: %v\n%s", err, out)
	}

	// 6. Revert by hand: the checkpoint, the VM started, WinRM waited for.
	out, err = msilabOut(t, "revert", "--snapshot", "--lab", labYAML)
	if err != nil || !strings.Contains(out, "reverted win11-a to hyperv:msilab-clean in") || !strings.Contains(out, "WinRM ready") {
		t.Fatalf("revert --snapshot: %v\n%s", err, out)
	}
	if out, err = msilabOut(t, "doctor", "--lab", labYAML); err != nil {
		t.Fatalf("doctor after the revert: %v\n%s", err, out)
	}

	// 5. Run: the preflight passes, cells run, undone by the journal.
	res := filepath.Join(dir, "out")
	out, err = msilabOut(t, "run", "--lab", labYAML, "--only", "temp-acl-users-write-removed", "--out", res)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	cells, err := results.Read(filepath.Join(res, "results.jsonl"))
	if err != nil || len(cells) == 0 {
		t.Fatalf("results: %v", err)
	}
	for _, c := range cells {
		if c.Status != results.StatusPass || c.Revert == nil || c.Revert.Policy != "auto" || c.Revert.How != results.RevertJournal {
			t.Errorf("%s: %s %s, revert %+v", c.ID, c.Status, c.Reason, c.Revert)
		}
	}
}

// Bad input to the new flags is a usage error (exit status 2).
func TestDoctorAndRevertUsage(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--revert", "sometimes"},
		{"doctor"},
		{"doctor", "--endpoint", "127.0.0.1:1", "--user", "u", "--os", "win99"},
		{"revert", "--snapshot"},
		{"revert", "--snapshot", "--lab", "x.yaml", "--journal", "j.jsonl"},
	} {
		_, err := msilabOut(t, args...)
		var u *usageError
		if !errors.As(err, &u) {
			t.Errorf("msilab %v: %v, want a usage error", args, err)
		}
	}
}
