package evidence

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/msilab/msilab/internal/pscheck"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// hereString is a single-quoted here-string of a script: the variable it
// is assigned to and its text.
type hereString struct {
	variable, text string
}

// hereStrings reads a script's single-quoted here-strings as PowerShell
// does: from a line ending in @' to the first line that starts with a
// single quotation mark (any of the four) followed by @.
func hereStrings(t *testing.T, script string) []hereString {
	t.Helper()
	opener := regexp.MustCompile(`^\$(\w+) = @'$`)
	var out []hereString
	lines := strings.Split(script, "\r\n")
	for i := 0; i < len(lines); i++ {
		m := opener.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.HasSuffix(lines[i], "@'") && !strings.HasPrefix(lines[i], "#") {
				t.Fatalf("line %d opens a here-string in an unexpected way: %q", i+1, lines[i])
			}
			continue
		}
		var body []string
		for i++; ; i++ {
			if i == len(lines) {
				t.Fatalf("here-string $%s is not closed", m[1])
			}
			r, size := utf8.DecodeRuneInString(lines[i])
			if strings.ContainsRune("'\u2018\u2019\u201A\u201B", r) && strings.HasPrefix(lines[i][size:], "@") {
				if lines[i] != "'@" {
					t.Fatalf("line %d ends here-string $%s with %q", i+1, m[1], lines[i])
				}
				break
			}
			body = append(body, lines[i])
		}
		out = append(out, hereString{m[1], strings.Join(body, "\r\n")})
	}
	return out
}

func TestRepro(t *testing.T) {
	c, sc, _ := fixture(t)
	script, err := Repro(c, sc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ReplaceAll(script, "\r\n", ""), "\n") {
		t.Error("repro.ps1 has a line end other than CRLF")
	}
	for _, want := range []string{
		ops.ModuleSHA256,
		c.Record.PackageSHA256,
		c.Record.ScenarioSHA256,
		c.ID, "win11-23h2", "standard-user", "v0.4.0-test",
		"exit code 1603",
		"https://github.com/actions/runner-images/issues/1704",
		"# Summary:      Deny write on the installer marker — the install is not marked",
		"#        " + pkgPath,
		"#Requires -RunAsAdministrator",
		"Get-FileHash -LiteralPath $path -Algorithm SHA256",
		"New-Module -Name MsiLab -ScriptBlock ([ScriptBlock]::Create($moduleText)) | Import-Module -Force",
		"Invoke-MsiLabBatch -Request $request",
		"# Batch 3 of 4: eventlog.bookmark, msi.install\r\n# (op 2, msi.install, is the cell's checked install)\r\n",
		"UTF-8 with a byte order mark",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("repro.ps1 lacks %q", want)
		}
	}

	hs := hereStrings(t, script)
	if len(hs) != 2+len(c.Record.Batches) {
		t.Fatalf("%d here-strings, want the data, the module and %d batches", len(hs), len(c.Record.Batches))
	}
	// The data block: the cell's facts, ASCII JSON.
	if hs[0].variable != "reproJson" {
		t.Fatalf("first here-string is $%s, want $reproJson", hs[0].variable)
	}
	var cfg reproConfig
	if err := json.Unmarshal([]byte(hs[0].text), &cfg); err != nil {
		t.Fatalf("data block: %v", err)
	}
	want := reproConfig{
		Cell: c.ID, PackagePaths: []string{pkgPath}, PackageSHA256: c.Record.PackageSHA256, ModuleSHA256: ops.ModuleSHA256,
		StandardUser: ops.DefaultStandardUser,
		Checked:      &checkedOp{Batch: 3, Op: 2, Name: ops.OpMsiInstall},
		Expected:     reproExpected{ExitCode: 1603, Messages: []int{2503, 2502}, Log: c.Expected.Log, NotLog: []string{}, Events: []int{11708}},
	}
	if got, _ := json.Marshal(cfg); string(got) != mustJSON(t, want) {
		t.Errorf("data block = %s\nwant %s", got, mustJSON(t, want))
	}
	// The module, byte for byte once the line ends are LF again.
	if hs[1].variable != "moduleText" {
		t.Fatalf("second here-string is $%s, want $moduleText", hs[1].variable)
	}
	if got := strings.ReplaceAll(hs[1].text, "\r\n", "\n") + "\n"; got != string(ops.Module) {
		t.Error("the embedded module differs from ops.Module")
	}
	// Each batch: a request for the module's dispatcher with exactly the
	// recorded ops, in order, tricky strings intact.
	var got [][]ops.Op
	for i, h := range hs[2:] {
		if h.variable != "json" {
			t.Fatalf("here-string %d is $%s, want $json", i+3, h.variable)
		}
		if strings.Contains(h.text, "\r\n") {
			t.Errorf("batch %d is more than one line", i+1)
		}
		for _, r := range h.text {
			if r >= utf8.RuneSelf {
				t.Errorf("batch %d has a non-ASCII character %q", i+1, r)
				break
			}
		}
		var req ops.Request
		if err := json.Unmarshal([]byte(h.text), &req); err != nil {
			t.Fatalf("batch %d: %v", i+1, err)
		}
		if req.Version != ops.ProtocolVersion || req.ModuleSHA256 != ops.ModuleSHA256 {
			t.Errorf("batch %d: request v=%d module_sha256=%s", i+1, req.Version, req.ModuleSHA256)
		}
		got = append(got, req.Ops)
	}
	if !sameBatches(t, got, c.Record.Batches) {
		t.Error("the embedded batches differ from the recorded ones")
	}
	var note struct {
		Note string `json:"note"`
	}
	if err := json.Unmarshal(got[1][1].Args, &note); err != nil || note.Note != tricky {
		t.Errorf("the tricky string came back as %q (%v)", note.Note, err)
	}
	// One replay per batch, after the host preparation (batch 0).
	for i := 0; i <= len(c.Record.Batches); i++ {
		if n := strings.Count(script, "Invoke-MsiLabReproBatch -Number "+strconv.Itoa(i)+" "); n != 1 {
			t.Errorf("batch %d is replayed %d times, want once", i, n)
		}
	}
	if !strings.Contains(script, "op = 'user.ensure'; args = [ordered]@{ name = $repro.standard_user; password = ") {
		t.Error("repro.ps1 does not ensure the lab's standard user")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reproCases are the scripts the parse check covers.
func reproCases(t *testing.T) map[string]func() (*results.CellResult, *scenarios.Scenario) {
	return map[string]func() (*results.CellResult, *scenarios.Scenario){
		"failed install": func() (*results.CellResult, *scenarios.Scenario) {
			c, sc, _ := fixture(t)
			return c, sc
		},
		"no scenario, no batches": func() (*results.CellResult, *scenarios.Scenario) {
			c, _, _ := fixture(t)
			c.Status, c.Record.Batches, c.Expected = results.StatusSkip, nil, results.Expected{}
			return c, nil
		},
		"uninstall": func() (*results.CellResult, *scenarios.Scenario) {
			c, sc, _ := fixture(t)
			sc.Action = "uninstall"
			c.Record.Batches = append(c.Record.Batches[:3:3], []ops.Op{
				ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: c.Record.ProductCode, Context: ops.ContextStandardUser}),
			})
			return c, sc
		},
		"tricky header": func() (*results.CellResult, *scenarios.Scenario) {
			c, sc, _ := fixture(t)
			c.ID, c.Host, c.Reason = "x/"+tricky, tricky, tricky
			sc.Summary, sc.References = tricky, []string{tricky}
			c.Expected.Override, c.Expected.NotLog = tricky, []string{tricky}
			c.Record.ToolVersion, c.Record.Package = tricky, tricky
			return c, sc
		},
	}
}

// TestReproParses parse-checks repro scripts with the real PowerShell
// grammar (tree-sitter-powershell, as lab/ops checks the module).
func TestReproParses(t *testing.T) {
	root := moduleRoot(t)
	files := writeRepros(t)
	out, code := psparse(t, root, files...)
	if code != 0 || !strings.Contains(out, "files parsed, 0 errors") {
		t.Fatalf("check.js exited %d:\n%s", code, out)
	}
	t.Logf("%d repro scripts parse: %s", len(files), strings.TrimSpace(out))
}

// TestReproRunsOnPowerShell51 checks the repro scripts' commands against
// the cmdlets of Windows PowerShell 5.1 (tools/psparse): their own, and
// their calls into the op module they load (whose text, embedded as data,
// is lab/ops/powershell/MsiLab.psm1, checked by lab/ops).
func TestReproRunsOnPowerShell51(t *testing.T) {
	root := moduleRoot(t)
	files := writeRepros(t)
	out, code := pscheck.Check(t, root, files...)
	n, ok := pscheck.ParseCounts(out)
	if code != 0 || !ok || n.Errors != 0 || n.Files != len(files) || n.Functions == 0 {
		t.Fatalf("check.js exited %d on %d repro scripts:\n%s", code, len(files), out)
	}
	t.Logf("%d repro scripts, %d commands: %d cmdlets, %d functions", n.Files, n.Commands, n.Cmdlets, n.Functions)
}

// writeRepros writes the repro script of each of reproCases and returns
// their paths.
func writeRepros(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, mk := range reproCases(t) {
		c, sc := mk()
		d := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := Write(d, c, sc, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files = append(files, filepath.Join(d, FileRepro))
	}
	return files
}

// TestReproParseCheckCatchesErrors: the parse check sees a broken script,
// so TestReproParses means something.
func TestReproParseCheckCatchesErrors(t *testing.T) {
	root := moduleRoot(t)
	c, sc, _ := fixture(t)
	script, err := Repro(c, sc)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(script, "    return $response\r\n}\r\n", "    return $response\r\n", 1) // an unclosed function body
	if broken == script {
		t.Fatal("the replay function's end was not found")
	}
	f := filepath.Join(t.TempDir(), "broken.ps1")
	if err := os.WriteFile(f, append(append([]byte{}, utf8BOM...), broken...), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := psparse(t, root, f); code != 1 {
		t.Fatalf("check.js exited %d on a broken script, want 1:\n%s", code, out)
	}
}

func TestFindChecked(t *testing.T) {
	install := func(ctx string) ops.Op {
		return ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: pkgPath, Context: ctx})
	}
	uninstall := func(ctx string) ops.Op {
		return ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: "{01234567-89AB-CDEF-0123-456789ABCDEF}", Context: ctx})
	}
	probe := ops.MustNew(ops.OpEventBookmark, nil)
	for _, tc := range []struct {
		name            string
		batches         [][]ops.Op
		action, context string
		want            *checkedOp
	}{
		{"install elevated", [][]ops.Op{{probe}, {probe, install("")}}, "install", "", &checkedOp{2, 2, ops.OpMsiInstall}},
		{"install in context, rerun after", [][]ops.Op{{install(ops.ContextAdminFiltered)}, {install(ops.ContextAdminFiltered)}}, "install", ops.ContextAdminFiltered, &checkedOp{1, 1, ops.OpMsiInstall}},
		{"uninstall after an elevated install", [][]ops.Op{{install("")}, {probe}, {probe, uninstall(ops.ContextStandardUser)}}, "uninstall", ops.ContextStandardUser, &checkedOp{3, 2, ops.OpMsiUninstall}},
		{"no match: the last msi op", [][]ops.Op{{install("")}, {install(ops.ContextSystem)}}, "install", ops.ContextStandardUser, &checkedOp{2, 1, ops.OpMsiInstall}},
		{"no msi op", [][]ops.Op{{probe}}, "install", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := findChecked(tc.batches, tc.action, tc.context)
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("findChecked = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPackagePaths(t *testing.T) {
	other := `D:\pkgs\other.msi`
	batches := [][]ops.Op{
		{ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: pkgPath})},
		{ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: strings.ToUpper(pkgPath)})},
		{ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: "{01234567-89AB-CDEF-0123-456789ABCDEF}"})},
		{ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: other})},
	}
	got := packagePaths(batches)
	if strings.Join(got, "|") != pkgPath+"|"+other {
		t.Errorf("packagePaths = %q", got)
	}
}

func TestHereStringSafe(t *testing.T) {
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"a\nb\n", true},
		{"x = '@'\n", true},
		{"a\n'@\n", false},
		{"a\r\n  '@ trailing\r\n", false},
		{"a\n\u2019@\n", false},
		{"'@", false},
	} {
		err := hereStringSafe(tc.text)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrHereString) {
			t.Errorf("hereStringSafe(%q) = %v, want ok=%v", tc.text, err, tc.ok)
		}
	}
	if err := hereStringSafe(string(ops.Module)); err != nil {
		t.Errorf("ops.Module cannot be embedded: %v", err)
	}
}

func TestASCIIJSON(t *testing.T) {
	in := map[string]string{"s": tricky + "\x00\x1f\ufeff", "bad": "\xff\xfe"}
	s, err := asciiJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] < 0x20 {
			t.Fatalf("asciiJSON has byte %#x at %d: %s", s[i], i, s)
		}
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	if out["s"] != in["s"] || out["bad"] != "\ufffd\ufffd" {
		t.Errorf("asciiJSON round trip: %q", out)
	}
	if strings.Contains(s, "</") {
		t.Errorf("asciiJSON left a sequence unescaped: %s", s)
	}
}

func TestReproNilCell(t *testing.T) {
	if _, err := Repro(nil, nil); !errors.Is(err, ErrNoCell) {
		t.Errorf("Repro(nil) = %v, want ErrNoCell", err)
	}
}

func moduleRoot(t *testing.T) string { return pscheck.ModuleRoot(t) }

func psparse(t *testing.T, root string, files ...string) (string, int) {
	return pscheck.Parse(t, root, files...)
}

// TestReproLogons: repro.ps1 logs the contexts on as msilab does, with
// passwords that travel in each batch's logons, never in an op: the
// standard user's, made in memory, and the administrator's, asked for
// only when an admin-filtered install needs it.
func TestReproLogons(t *testing.T) {
	c, sc, _ := fixture(t)
	script, err := Repro(c, sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Add-Member -NotePropertyName logons -NotePropertyValue @($reproLogons)", "op = 'user.logon'"} {
		if !strings.Contains(script, want) {
			t.Errorf("repro.ps1 lacks %q", want)
		}
	}
	if cfg := reproData(t, script); cfg.AdminLogon {
		t.Errorf("a standard-user cell asks for the administrator's password")
	}
	c.Record.Batches = append(c.Record.Batches, []ops.Op{ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: `C:\p.msi`, Context: ops.ContextAdminFiltered})})
	if script, err = Repro(c, sc); err != nil {
		t.Fatal(err)
	}
	if cfg := reproData(t, script); !cfg.AdminLogon {
		t.Errorf("an admin-filtered install does not ask for the administrator's password")
	}
	c.Record.Batches[len(c.Record.Batches)-1] = []ops.Op{ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: `C:\p.msi`, Context: ops.ContextAdminFiltered, Logon: ops.LogonS4UTask})}
	if script, err = Repro(c, sc); err != nil {
		t.Fatal(err)
	}
	if cfg := reproData(t, script); cfg.AdminLogon {
		t.Errorf("an S4U task asks for the administrator's password")
	}
}

func reproData(t *testing.T, script string) reproConfig {
	t.Helper()
	var cfg reproConfig
	if err := json.Unmarshal([]byte(hereStrings(t, script)[0].text), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}
