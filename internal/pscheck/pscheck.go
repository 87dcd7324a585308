// Package pscheck runs the repository's PowerShell checks for tests
// (tools/psparse: tree-sitter-powershell through node): Parse, the parse
// check, and Check, which also checks every command against the cmdlets of
// Windows PowerShell 5.1.
package pscheck

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/msilab/msilab/internal/testtool"
)

// Install is how tools/psparse gets its dependencies (CI runs it).
const Install = "npm ci --prefix tools/psparse"

// ModuleRoot is the directory of go.mod above the test's package directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

// Parse runs tools/psparse/check.js on files (relative to root or
// absolute) and returns its output and exit code. Without node or the
// tool's node_modules it skips the test, except in CI, where it fails.
func Parse(t *testing.T, root string, files ...string) (string, int) {
	t.Helper()
	return run(t, root, files)
}

// CmdletsEnv names the cmdlet reference to use instead of CmdletsPath.
const CmdletsEnv = "MSILAB_CMDLETS_JSON"

// CmdletsPath is where the cmdlet reference of Windows PowerShell 5.1 and
// the Windows Server 2022 modules lives, relative to the repository root:
// CI keeps it beside the clone. It is reference data for this check only
// and is not copied into the repository.
const CmdletsPath = "../shared/powershell/cmdlets-5.1.json"

// Module is the op module: files that import a module may call its
// exported functions (the batch script, repro.ps1).
const Module = "lab/ops/powershell/MsiLab.psm1"

// Cmdlets returns the cmdlet reference's path: $MSILAB_CMDLETS_JSON, else
// CmdletsPath from root. Without it the test skips, saying why, except in
// CI, where it fails.
func Cmdlets(t testing.TB, root string) string {
	t.Helper()
	if p := os.Getenv(CmdletsEnv); p != "" {
		return testtool.NeedFile(t, p, "$"+CmdletsEnv+" names the cmdlet reference (cmdlets-5.1.json)")
	}
	return testtool.NeedFile(t, filepath.Join(root, filepath.FromSlash(CmdletsPath)),
		"the Windows PowerShell 5.1 cmdlet reference is CI data kept beside the clone; set $"+CmdletsEnv+" to its path")
}

// Check runs tools/psparse/check.js on files (relative to root or
// absolute) with the cmdlet reference and the op module: the parse check,
// and every command checked against Windows PowerShell 5.1. It returns the
// output and exit code. Without node, the tool's node_modules or the
// reference it skips the test, except in CI, where it fails.
func Check(t *testing.T, root string, files ...string) (string, int) {
	t.Helper()
	cmdlets := Cmdlets(t, root)
	return run(t, root, append([]string{"--cmdlets", cmdlets, "--module", filepath.FromSlash(Module)}, files...))
}

// Counts are what a Check run reports: files parsed, errors, commands
// checked and of these the cmdlets, functions and scripts it judged.
type Counts struct {
	Files, Errors, Commands, Cmdlets, Functions, Scripts, Native, Dynamic int
}

var (
	countsLine = regexp.MustCompile(`(?m)^(\d+) commands checked against Windows PowerShell 5\.1: (\d+) cmdlets, (\d+) functions, (\d+) scripts, (\d+) native programs, (\d+) computed at run time`)
	filesLine  = regexp.MustCompile(`(?m)^(\d+) files parsed, (\d+) errors$`)
)

// ParseCounts reads the summary lines of a Check run's output; ok is
// false when they are missing.
func ParseCounts(out string) (c Counts, ok bool) {
	m, f := countsLine.FindStringSubmatch(out), filesLine.FindStringSubmatch(out)
	if m == nil || f == nil {
		return c, false
	}
	n := func(s string) int { i, _ := strconv.Atoi(s); return i }
	return Counts{Files: n(f[1]), Errors: n(f[2]), Commands: n(m[1]), Cmdlets: n(m[2]), Functions: n(m[3]),
		Scripts: n(m[4]), Native: n(m[5]), Dynamic: n(m[6])}, true
}

// WriteScripts writes scripts (name -> text) into a new temporary folder
// and returns their paths, sorted by name.
func WriteScripts(t testing.TB, scripts map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, text := range scripts {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}

// DecodeCommand returns the script of a `powershell.exe ...
// -EncodedCommand <base64>` command line (base64 of UTF-16LE text, as
// ops.EncodedCommand writes it); ok is false for any other line.
func DecodeCommand(line string) (script string, ok bool) {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.EqualFold(strings.TrimSuffix(strings.ToLower(f[0]), ".exe"), "powershell") ||
		!strings.EqualFold(f[len(f)-2], "-EncodedCommand") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(f[len(f)-1])
	if err != nil || len(raw)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(u)), true
}

// run runs check.js with args in root.
func run(t *testing.T, root string, args []string) (string, int) {
	t.Helper()
	node := testtool.Need(t, "node", "install Node.js and run `"+Install+"`")
	testtool.NeedFile(t, filepath.Join(root, "tools", "psparse", "node_modules", "web-tree-sitter"), "run `"+Install+"`")
	cmd := exec.CommandContext(t.Context(), node, append([]string{filepath.Join("tools", "psparse", "check.js")}, args...)...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	}
	t.Fatalf("run check.js: %v\n%s", err, out.String())
	return "", 0
}
