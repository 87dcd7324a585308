package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf16"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/testpkgs"
)

// evidence2503 is the 2503/2502 excerpt of docs/evidence.md#E-marker (actions/runner-images#1704),
// as a researcher pastes it into a file.
const evidence2503 = `Action start 8:32:13: InstallFinalize.
MSI (s) (A0:C8) [08:32:13:152]: Running Script: C:\windows\Installer\MSI879F.tmp
MSI (s) (A0:C8) [08:32:13:153]: PROPERTY CHANGE: Adding UpdateStarted property. Its value is '1'.
MSI (s) (A0:C8) [08:32:13:154]: Note: 1: 2203 2: C:\windows\Installer\inprogressinstallinfo.ipi 3: -2147287035
MSI (s) (A0:C8) [08:32:13:155]: Note: 1: 2503
DEBUG: Error 2503:  Called RunScript when not marked in progress.
...
MSI (s) (B8:80) ...: Note: 1: 2502
DEBUG: Error 2502:  Called InstallFinalize when no install in progress.
...
Product: X -- Installation failed.
Windows Installer installed the product. ... Installation success or error status: 1603.
MainEngineThread is returning 1603
`

// brokenTempSDDL is msi_test.go's broken C:\Windows\Temp: SYSTEM denied write.
const brokenTempSDDL = `D:PAI(D;OICI;0x116;;;SY)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)`

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func utf16LE(s string, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		b.Write([]byte{0xFF, 0xFE})
	}
	for _, u := range utf16.Encode([]rune(s)) {
		binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

// msilab runs the CLI and returns its stdout.
func msilab(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), err
}

// opOn runs `msilab op` with the endpoint flags ep (these tests use Basic
// auth: NTLM against the simulated host is refused now and then, in
// op's tests too) and decodes its JSON result.
func opOn(t *testing.T, ep []string, args ...string) (ops.Result, error) {
	t.Helper()
	out, err := msilab(t, append(append([]string{"op"}, ep...), args...)...)
	var r ops.Result
	if out != "" {
		if jerr := json.Unmarshal([]byte(out), &r); jerr != nil {
			t.Fatalf("output is not a result: %v\n%s", jerr, out)
		}
	}
	return r, err
}

// diagnose --log names the cause of the 2503/2502 excerpt of
// docs/evidence.md#E-marker, and the scenario that reproduces it, whatever
// the file's encoding.
func TestDiagnoseLogEvidenceExcerpt(t *testing.T) {
	crlf := strings.ReplaceAll(evidence2503, "\n", "\r\n")
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"utf8", []byte(evidence2503)},
		{"utf16le-bom", utf16LE(crlf, true)},
		{"utf16le-no-bom", utf16LE(crlf, false)},
		{"ansi", []byte(crlf + "Property(S): Manufacturer = M\xfcller \x96 5 \x80\r\n")},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, "install.log", c.data)
			out, err := msilab(t, "diagnose", "--log", file)
			if err != nil {
				t.Fatalf("diagnose: %v\n%s", err, out)
			}
			first := strings.Index(out, "\n1. ")
			if first < 0 || !strings.HasPrefix(out[first+1:], "1. temp-acl (confidence") {
				t.Fatalf("temp-acl is not the first finding:\n%s", out)
			}
			for _, want := range []string{"-2147287035", "Note: 1: 2503", "Note: 1: 2502", "MainEngineThread is returning 1603",
				"msilab run --only temp-acl-system-read-only", "built-in scenario temp-acl-system-read-only:", "2. installer-acl"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
	// --json: the findings, highest first; "-" reads stdin.
	stdin = strings.NewReader(evidence2503)
	t.Cleanup(func() { stdin = os.Stdin })
	out, err := msilab(t, "diagnose", "--log", "-", "--format", "json")
	var ans remediation.Answer
	if err != nil || json.Unmarshal([]byte(out), &ans) != nil || len(ans.Findings) < 1 || len(ans.Candidates) < 1 {
		t.Fatalf("--format json: %v\n%s", err, out)
	}
	fs := append(ans.Findings, ans.Candidates...)
	if ans.Verdict != remediation.VerdictCause || fs[0].ID != remediation.FindingTempACL || fs[0].Scenario != "temp-acl-system-read-only" ||
		fs[0].Confidence < fs[1].Confidence || len(fs[0].Lines) == 0 || fs[0].Lines[0].N != 4 {
		t.Errorf("--format json: %s, first %+v, then %+v", ans.Verdict, fs[0], fs[1])
	}
}

// No finding is not an error; an unreadable file is.
func TestDiagnoseLogNoCause(t *testing.T) {
	for _, c := range []struct{ name, text, why, verdict string }{
		{"empty", "", "no known cause: ", remediation.VerdictEmpty},
		{"blank", "\r\n  \r\n", "no known cause: ", remediation.VerdictEmpty},
		{"unrelated", "Build started.\nAll 12 tests passed.\n", "not a Windows Installer log: ", remediation.VerdictNotMSI},
		{"success", "MSI (c) (F4:FC) [09:00:00:090]: MainEngineThread is returning 0\n", "successful install", remediation.VerdictNoFailure},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, c.name+".log", []byte(c.text))
			out, err := msilab(t, "diagnose", "--log", file)
			if err != nil || !strings.Contains(out, c.why) {
				t.Fatalf("%v\n%s", err, out)
			}
			out, err = msilab(t, "diagnose", "--log", file, "--json")
			var ans remediation.Answer
			if err != nil || json.Unmarshal([]byte(out), &ans) != nil || ans.Verdict != c.verdict || len(ans.Findings) != 0 {
				t.Fatalf("--json: %v %q", err, out)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "nope.log")
	if _, err := msilab(t, "diagnose", "--log", missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := msilab(t, "diagnose", "--log", t.TempDir()); err == nil {
		t.Errorf("a directory: no error")
	}
	pkg, err := testpkgs.Bytes("permachine")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := msilab(t, "diagnose", "--log", writeFile(t, "permachine.msi", pkg)); err == nil || !strings.Contains(err.Error(), "not a Windows Installer log") {
		t.Errorf("an .msi given as its log: %v", err)
	}
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>8) // every byte value, no text
	}
	if _, err := msilab(t, "diagnose", "--log", writeFile(t, "garbage.log", garbage)); err == nil || !strings.Contains(err.Error(), "not a Windows Installer log") {
		t.Errorf("binary garbage: %v", err)
	}
}

// diagnose --log reads only a regular file (or stdin as -): a FIFO would
// block it, /dev/zero never end; a log over the size cap is refused with
// what to do instead; a read that blocks ends with the context.
func TestDiagnoseLogInputs(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.log")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		var ue *usageError
		if _, err := msilab(t, "diagnose", "--log", path); !errors.As(err, &ue) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: %v, want a usage error", path, err)
		}
	}
	// Past the cap: stdin is read in chunks and stops there.
	_, err := readChunks(context.Background(), io.LimitReader(zeros{}, 5*logChunk), 3*logChunk)
	if !errors.Is(err, errLogTooLarge) {
		t.Errorf("a stream past the cap: %v, want errLogTooLarge", err)
	}
	big := filepath.Join(dir, "big.log")
	f, _ := os.Create(big)
	f.Truncate(maxLogSize + 1) // sparse: no disk used
	f.Close()
	if _, err := msilab(t, "diagnose", "--log", big); !errors.Is(err, errLogTooLarge) || !strings.Contains(err.Error(), "tail -c") {
		t.Errorf("a file past the cap: %v", err)
	}
	// A pipe whose writer stays silent: the read ends with the context.
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := readChunks(ctx, pr, maxLogSize); done <- err }()
	pw.Write([]byte("MSI (c) (10:20) [12:00:00:000]: "))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a blocked read: %v, want context.Canceled", err)
	}
}

// zeros reads as endless NUL bytes, as /dev/zero does.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// diagnose --host reads the host's state, alone and with the log.
func TestDiagnoseHost(t *testing.T) {
	url := serve(t, "--os", "win11-24h2")
	ep := []string{"--endpoint", url, "--user", "msilab", "--password", "Msilab-Passw0rd!", "--auth", "basic", "--allow-basic-over-http"}
	out, err := msilab(t, append([]string{"diagnose", "--host"}, ep...)...)
	if err != nil || !strings.Contains(out, "no known cause") {
		t.Fatalf("clean host: %v\n%s", err, out)
	}
	if _, err := opOn(t, ep, "acl.set", `{"path":"C:\\Windows\\Temp","sddl":"`+brokenTempSDDL+`"}`); err != nil {
		t.Fatal(err)
	}
	out, err = msilab(t, append([]string{"diagnose", "--host"}, ep...)...)
	if err != nil || !strings.Contains(out, "\n1. temp-acl (confidence 0.60)") || !strings.Contains(out, "msilab run --only temp-acl-system-read-only") ||
		!strings.Contains(out, `NT AUTHORITY\SYSTEM:(OI)(CI)(DENY)`) {
		t.Fatalf("broken Temp: %v\n%s", err, out)
	}
	// The host and the log agree: the highest confidence, installer-acl refuted.
	file := writeFile(t, "install.log", utf16LE(evidence2503, true))
	out, err = msilab(t, append([]string{"diagnose", "--host", "--log", file, "--json"}, ep...)...)
	var ans remediation.Answer
	if err != nil || json.Unmarshal([]byte(out), &ans) != nil || len(ans.Findings) == 0 {
		t.Fatalf("--host --log: %v\n%s", err, out)
	}
	fs := append(ans.Findings, ans.Candidates...)
	if fs[0].ID != remediation.FindingTempACL || fs[0].Confidence < 0.9 || !strings.Contains(strings.Join(fs[0].Evidence, "\n"), "line 13: MainEngineThread is returning 1603") {
		t.Errorf("--host --log: first %+v", fs[0])
	}
	for _, f := range fs[1:] {
		if f.ID == remediation.FindingInstallerACL && f.Confidence >= 0.5 {
			t.Errorf("installer-acl not refuted by the host: %+v", f)
		}
	}
}

// startSim starts a simulated host in-process, for its model's digest.
func startSim(t *testing.T, osProfile string) (*sim.Server, []string) {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: osProfile})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, []string{"--endpoint", srv.URL(), "--user", srv.User(), "--password", srv.Password(), "--auth", "basic", "--allow-basic-over-http"}
}

// remediate --dry-run prints the exact PowerShell of each step and
// changes nothing; remediate repairs the host, and the install succeeds.
func TestRemediateBrokenTemp(t *testing.T) {
	srv, ep := startSim(t, "win11-24h2")
	if out, err := msilab(t, append(append([]string{"upload"}, ep...), "testpkg:permachine")...); err != nil {
		t.Fatalf("upload: %v %s", err, out)
	}
	pkg := `{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi"}`
	if _, err := opOn(t, ep, "acl.set", `{"path":"C:\\Windows\\Temp","sddl":"`+brokenTempSDDL+`"}`); err != nil {
		t.Fatal(err)
	}
	r, err := opOn(t, ep, "msi.install", pkg)
	failed := msiRun(t, r, err)
	if failed.ExitCode != 1603 {
		t.Fatalf("broken Temp: exit %d", failed.ExitCode)
	}
	logFile := writeFile(t, "install.log", utf16LE(failed.Log, true))

	digest := srv.Host().Machine().Digest()
	out, err := msilab(t, append([]string{"remediate", "--dry-run", "--log", logFile}, ep...)...)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	jout, err := msilab(t, append([]string{"remediate", "--dry-run", "--json"}, ep...)...)
	var rep remediation.Report
	if err != nil || json.Unmarshal([]byte(jout), &rep) != nil {
		t.Fatalf("dry run --json: %v\n%s", err, jout)
	}
	if got := srv.Host().Machine().Digest(); got != digest {
		t.Fatalf("a dry run changed the host: digest %s, was %s", got, digest)
	}
	if !rep.DryRun || len(rep.Applied) != 0 || len(rep.Plan) == 0 || rep.Plan[0].Fix != "restore-temp-acl" {
		t.Fatalf("dry run plan: %+v", rep.Plan)
	}
	ps := rep.Plan[0].PowerShell
	if !strings.Contains(ps, "Invoke-MsiLabBatch") || !strings.Contains(ps, `"op":"acl.set"`) || strings.Contains(ps, ";;;WD)") {
		t.Fatalf("step PowerShell:\n%s", ps)
	}
	for _, want := range []string{"step 1: restore-temp-acl, for temp-acl", "risk: low: ", "nothing was sent",
		"----- begin restore-temp-acl -----\n" + ps + "----- end restore-temp-acl -----"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}

	out, err = msilab(t, append([]string{"remediate", "--log", logFile}, ep...)...)
	if err != nil {
		t.Fatalf("remediate: %v\n%s", err, out)
	}
	for _, want := range []string{"1. restore-temp-acl for temp-acl (risk low): verified", "host state, before (-) and after (+):",
		`  - acl.get {"path":"C:\\Windows\\Temp"}`, "resolved: "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	r, err = opOn(t, ep, "msi.install", pkg)
	if ok := msiRun(t, r, err); ok.ExitCode != 0 {
		t.Fatalf("install after remediate: exit %d\n%s", ok.ExitCode, ok.Log)
	}
	out, err = msilab(t, append([]string{"diagnose", "--host"}, ep...)...)
	if err != nil || !strings.Contains(out, "no known cause") {
		t.Errorf("diagnose after remediate: %v\n%s", err, out)
	}
}

// A finding no fix resolves exits 1 (a dry run exits 0).
func TestRemediateUnresolved(t *testing.T) {
	_, ep := startSim(t, "win11-24h2")
	log := writeFile(t, "ca.log", []byte("Error 1722. There is a problem with this Windows Installer package. "+
		"Action InstallDriver, location: C:\\x\\drv.exe, command: /install\r\nAction ended 9:00:00: InstallDriver. Return value 3.\r\n"+
		"MSI (c) (F4:FC) [09:00:00:090]: MainEngineThread is returning 1603\r\n"))
	out, err := msilab(t, append([]string{"remediate", "--log", log}, ep...)...)
	var ec *exitCodeError
	if !errors.As(err, &ec) || ec.code != 1 || !strings.Contains(out, "unresolved: custom-action-failed") {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := msilab(t, append([]string{"remediate", "--dry-run", "--log", log}, ep...)...); err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
}

func TestDiagnoseRemediateErrors(t *testing.T) {
	var ue *usageError
	for _, args := range [][]string{
		{"diagnose"}, {"diagnose", "extra"}, {"diagnose", "--host"}, {"diagnose", "--log", "x", "--context", "root"},
		{"remediate"}, {"remediate", "--user", "u"}, {"remediate", "--endpoint", "127.0.0.1:1", "--user", "u", "--host=false"},
		{"remediate", "--endpoint", "ftp://x", "--user", "u"},
	} {
		if _, err := msilab(t, args...); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	// A missing log is reported before the host is dialled.
	missing := filepath.Join(t.TempDir(), "nope.log")
	if _, err := msilab(t, "remediate", "--endpoint", "127.0.0.1:1", "--user", "u", "--log", missing); err == nil ||
		!strings.Contains(err.Error(), missing) {
		t.Errorf("missing log: %v", err)
	}
	// Unreachable host and wrong password: typed errors that name the host.
	for _, cmd := range []string{"diagnose", "remediate"} {
		args := []string{cmd, "--endpoint", "127.0.0.1:1", "--user", "u", "--password", "p"}
		if cmd == "diagnose" {
			args = append(args, "--host")
		}
		_, err := msilab(t, args...)
		var unr *lab.UnreachableError
		if !errors.As(err, &unr) || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("%s, unreachable: %v", cmd, err)
		}
	}
	srv, _ := startSim(t, "")
	for _, cmd := range []string{"diagnose", "remediate"} {
		_, err := msilab(t, cmd, "--host", "--endpoint", srv.URL(), "--user", srv.User(), "--password", "nope")
		var ae *lab.AuthError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), srv.URL()) {
			t.Errorf("%s, wrong password: %v", cmd, err)
		}
	}
}

// The answer's forms on the command line: a cause with its quoted lines
// and what rules out its look-alikes; insufficient evidence with each
// number's meaning and what to collect; a blocked stdin ends with ctx.
func TestDiagnoseLogAnswers(t *testing.T) {
	denied := "MSI (c) (3C:44) [14:02:11:231]: Grabbed execution mutex.\n" +
		"MSI (c) (3C:44) [14:02:11:260]: Failed to connect to server. Error: 0x80070005\n" +
		"MSI (c) (3C:44) [14:02:11:263]: MainEngineThread is returning 1601\n"
	out, err := msilab(t, "diagnose", "--log", writeFile(t, "denied.log", utf16LE(strings.ReplaceAll(denied, "\n", "\r\n"), false)))
	for _, want := range []string{"excerpt (utf-16le", "exit code 1601 (line 3)", "1. service-access-denied (confidence 0.90)",
		"line 2: MSI (c) (3C:44) [14:02:11:260]: Failed to connect to server. Error: 0x80070005", "ruled out, or what would tell it apart:",
		"re-registering the service is the wrong advice", "reproduce: msilab run --only service-access-batch-logon",
		"fixes: none on the host: the logon is the cause"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("lacks %q (%v):\n%s", want, err, out)
		}
	}
	if strings.Contains(out, "\n2. ") || strings.Contains(out, "2. service-") {
		t.Errorf("a second cause named:\n%s", out)
	}
	dialog := "The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is 2503.\n"
	out, err = msilab(t, "diagnose", "--log", writeFile(t, "dialog.txt", []byte(dialog)))
	for _, want := range []string{"dialog (utf-8", "insufficient evidence", "message 2503: RunScript was called when not marked in progress (line 1)",
		"collect next:", "/L*v", "possible causes below confidence 0.50 (not an answer):"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("lacks %q (%v):\n%s", want, err, out)
		}
	}
	if _, err := msilab(t, "diagnose", "--log", writeFile(t, "x.log", []byte(dialog)), "--format", "yaml"); err == nil {
		t.Error("--format yaml accepted")
	}
	// A silent pipe: parseLog returns once the context ends.
	pr, pw := io.Pipe()
	defer pw.Close()
	stdin = pr
	t.Cleanup(func() { stdin = os.Stdin })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := parseLog(ctx, "-"); done <- err }()
	pw.Write([]byte("MSI (c) (10:20) [12:00:00:000]: "))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a blocked stdin: %v, want context.Canceled", err)
	}
}
