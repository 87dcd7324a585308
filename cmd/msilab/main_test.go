package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// serve starts `msilab sim serve` in-process and returns its endpoint URL.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"sim", "serve", "--addr", "127.0.0.1:0"}, args...), pw, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("no URL in %q", line)
	}
	return strings.TrimSpace(line[i:])
}

// op runs `msilab op` and decodes its JSON result.
func op(t *testing.T, url string, args ...string) (ops.Result, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"op", "--endpoint", url, "--user", "msilab", "--password", "Msilab-Passw0rd!"}, args...), &out, io.Discard)
	var r ops.Result
	if out.Len() > 0 {
		if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
			t.Fatalf("output is not a result: %v\n%s", jerr, out.String())
		}
	}
	return r, err
}

// A researcher's session with msilab op: read msiserver, break Temp's ACL,
// see it, restore a snapshot, see it restored.
func TestOpAgainstSimServe(t *testing.T) {
	url := serve(t, "--os", "win11-24h2")
	r, err := op(t, url, "service.get", `{"name":"msiserver"}`)
	var svc ops.Service
	if err != nil || r.Decode(&svc) != nil || svc.StartType != "Manual" || svc.State != "Stopped" {
		t.Fatalf("service.get: %+v %v", svc, err)
	}
	if _, err := op(t, url, "sim.snapshot", `{"name":"clean"}`); err != nil {
		t.Fatal(err)
	}
	var clean ops.ACL
	r, _ = op(t, url, "acl.get", `{"path":"C:\\Windows\\Temp"}`)
	r.Decode(&clean)
	broken := `D:PAI(A;OICI;0x100001;;;SY)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100026;;;BU)(A;OICIIO;FA;;;CO)`
	if _, err := op(t, url, "acl.set", `{"path":"C:\\Windows\\Temp","sddl":"`+broken+`"}`); err != nil {
		t.Fatal(err)
	}
	var now ops.ACL
	r, _ = op(t, url, "acl.get", `{"path":"C:\\Windows\\Temp"}`)
	if r.Decode(&now); now.SDDL == clean.SDDL || !strings.Contains(now.SDDL, "0x100001;;;SY") {
		t.Fatalf("broken ACL not visible: %s", now.SDDL)
	}
	if _, err := op(t, url, "sim.restore", `{"name":"clean"}`); err != nil {
		t.Fatal(err)
	}
	r, _ = op(t, url, "acl.get", `{"path":"C:\\Windows\\Temp"}`)
	if r.Decode(&now); now.SDDL != clean.SDDL {
		t.Fatalf("restore: %s, want %s", now.SDDL, clean.SDDL)
	}
	// A failing op prints its typed error and exits non-zero.
	r, err = op(t, url, "service.start", `{"nme":"msiserver"}`)
	if err == nil || r.OK || r.Error.Code != ops.CodeInvalidArgs {
		t.Fatalf("bad args: %+v %v", r, err)
	}
}

func TestExec(t *testing.T) {
	url := serve(t, "--hostname", "LAB-EXEC")
	for _, auth := range []string{"basic", "ntlm"} {
		var out, stderr bytes.Buffer
		args := []string{"exec", "--endpoint", url, "--user", "msilab", "--password", "Msilab-Passw0rd!", "--auth", auth}
		if auth == "basic" { // the password in clear over HTTP: refused unless allowed, and then with a warning
			var ue *usageError
			if err := run(context.Background(), append(args, "hostname"), &out, io.Discard); !errors.As(err, &ue) || !strings.Contains(err.Error(), "in clear") {
				t.Fatalf("basic over HTTP without --allow-basic-over-http: %v", err)
			}
			args = append(args, "--allow-basic-over-http")
		}
		err := run(context.Background(), append(args, "hostname"), &out, &stderr)
		if err != nil || out.String() != "LAB-EXEC\r\n" {
			t.Fatalf("%s: %q %v", auth, out.String(), err)
		}
		if warned := strings.Contains(stderr.String(), "warning: auth basic over plain HTTP"); warned != (auth == "basic") {
			t.Errorf("%s: warning %v: %q", auth, warned, stderr.String())
		}
	}
	err := run(context.Background(), []string{"exec", "--endpoint", url, "--user", "msilab", "--password", "Msilab-Passw0rd!", "exit", "/b", "1603"}, io.Discard, io.Discard)
	var ec *exitCodeError
	if !errors.As(err, &ec) || ec.code != 1603 {
		t.Fatalf("exit code: %v", err)
	}
}

func TestCLIErrors(t *testing.T) {
	ctx := context.Background()
	var ue *usageError
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"sim"}, {"sim", "serve", "extra"},
		{"op"}, {"op", "host.info"}, {"op", "--endpoint", "ftp://x", "--user", "u", "host.info"},
		{"op", "--endpoint", "127.0.0.1:1", "--user", "u", "host.info", "{not json"},
	} {
		if err := run(ctx, args, io.Discard, io.Discard); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if err := run(ctx, []string{"sim", "serve", "--os", "win95"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "win11-24h2") {
		t.Errorf("unknown profile: %v", err)
	}
	url := serve(t)
	var out bytes.Buffer
	err := run(ctx, []string{"op", "--endpoint", url, "--user", "msilab", "--password", "nope", "host.info"}, &out, io.Discard)
	var ae *lab.AuthError
	if !errors.As(err, &ae) {
		t.Errorf("wrong password: %v", err)
	}
}

// Help is not an error: every command that parses flags prints its usage
// on stdout for -h and --help and succeeds; a bad flag is still a usage
// error, reported on stderr.
func TestHelpIsNotAnError(t *testing.T) {
	ctx := context.Background()
	for _, cmd := range [][]string{
		{"run"}, {"scenarios", "list"}, {"scenarios", "validate"}, {"scenarios", "explain"}, {"revert"},
		{"sim", "serve"}, {"sim", "rules"}, {"exec"}, {"op"}, {"upload"}, {"diagnose"}, {"remediate"}, {"selftest"},
	} {
		for _, h := range []string{"-h", "--help", "-help"} {
			args := append(slices.Clone(cmd), h)
			var stdout, stderr bytes.Buffer
			if err := run(ctx, args, &stdout, &stderr); err != nil {
				t.Errorf("%q: %v", args, err)
			}
			if !strings.Contains(stdout.String(), "Usage") || !strings.Contains(stdout.String(), "  -") || stderr.Len() != 0 {
				t.Errorf("%q: stdout %.200q, stderr %.200q; want the usage and its flags on stdout", args, stdout.String(), stderr.String())
			}
		}
		args := append(slices.Clone(cmd), "--no-such-flag")
		var stdout, stderr bytes.Buffer
		var ue *usageError
		if err := run(ctx, args, &stdout, &stderr); !errors.As(err, &ue) || !strings.Contains(stderr.String(), "no-such-flag") || stdout.Len() != 0 {
			t.Errorf("%q: %v, stdout %.200q, stderr %.200q; want a usage error on stderr", args, err, stdout.String(), stderr.String())
		}
	}
	// The groups' help lists their commands.
	for _, args := range [][]string{{"--help"}, {"scenarios", "--help"}, {"sim", "-h"}} {
		var stdout bytes.Buffer
		if err := run(ctx, args, &stdout, io.Discard); err != nil || !strings.Contains(stdout.String(), "Usage") {
			t.Errorf("%q: %v %q", args, err, stdout.String())
		}
	}
}

// `msilab run --help` exits 0 with the usage on stdout, as a process.
func TestHelpExitStatus(t *testing.T) {
	cmd := exec.Command(os.Args[0], "run", "--help")
	cmd.Env = append(os.Environ(), "MSILAB_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("msilab run --help: %v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "-cell-timeout") || stderr.Len() != 0 {
		t.Errorf("msilab run --help: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// sim serve --password-env reads the password from the environment and
// never prints it.
func TestSimServePasswordEnv(t *testing.T) {
	const secret = "Env-Passw0rd-7731!"
	t.Setenv("MSILAB_SIM_TEST_PW", secret)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sim", "serve", "--addr", "127.0.0.1:0", "--password-env", "MSILAB_SIM_TEST_PW"}, pw, io.Discard)
		pw.Close()
	}()
	var out strings.Builder
	rd := bufio.NewReader(pr)
	for !strings.Contains(out.String(), "press Ctrl-C") {
		line, err := rd.ReadString('\n')
		out.WriteString(line)
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, out.String())
		}
	}
	go io.Copy(io.Discard, rd)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	if strings.Contains(out.String(), secret) || !strings.Contains(out.String(), "$MSILAB_SIM_TEST_PW") {
		t.Errorf("the output shows the password or does not say where it is:\n%s", out.String())
	}
	first := out.String()[:strings.IndexByte(out.String(), '\n')]
	url := first[strings.Index(first, "http://"):]
	var got bytes.Buffer
	if err := run(context.Background(), []string{"exec", "--endpoint", url, "--user", "msilab", "--password", secret, "hostname"}, &got, io.Discard); err != nil {
		t.Errorf("exec with the environment's password: %v", err)
	}
	var ue *usageError
	if err := run(context.Background(), []string{"sim", "serve", "--password-env", "NO_SUCH_VAR_X"}, io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Errorf("--password-env of a missing variable: %v", err)
	}
}
