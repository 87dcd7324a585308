package ops

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/pscheck"
)

func moduleRoot(t *testing.T) string { return pscheck.ModuleRoot(t) }

// powerShellFiles lists the repository's *.ps1 and *.psm1 files, relative
// to root: in a git checkout the files git tracks or would (not ignored
// output such as msilab-out/, whose repro.ps1 files are generated);
// elsewhere every file outside node_modules and .git.
func powerShellFiles(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.ps1", "*.psm1")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		var files []string
		for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if f != "" && !strings.Contains(f, "node_modules/") {
				if _, err := os.Stat(filepath.Join(root, f)); err == nil { // not deleted in the work tree
					files = append(files, filepath.FromSlash(f))
				}
			}
		}
		if len(files) == 0 {
			t.Fatal("no PowerShell files found")
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if ext := strings.ToLower(filepath.Ext(path)); !d.IsDir() && (ext == ".ps1" || ext == ".psm1") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no PowerShell files found")
	}
	return files
}

func psparse(t *testing.T, root string, files ...string) (string, int) {
	return pscheck.Parse(t, root, files...)
}

// TestPowerShellParses parse-checks every PowerShell file with the
// tree-sitter PowerShell grammar: the simulator never runs them, so this is
// what keeps a syntax error from reaching a real host.
func TestPowerShellParses(t *testing.T) {
	root := moduleRoot(t)

	t.Run("repository", func(t *testing.T) {
		files := powerShellFiles(t, root)
		out, code := psparse(t, root, files...)
		if code != 0 {
			t.Fatalf("check.js exited %d:\n%s", code, out)
		}
		want := regexp.MustCompile(`(?m)^(\d+) files parsed, 0 errors$`)
		if m := want.FindStringSubmatch(out); m == nil || m[1] != strconv.Itoa(len(files)) {
			t.Fatalf("check.js output does not report %d files parsed, 0 errors:\n%s", len(files), out)
		}
		t.Logf("%d PowerShell files parse: %s", len(files), strings.Join(files, ", "))
	})

	for _, tc := range []struct {
		name, script, want string
	}{
		{"unclosed brace fails", "function Get-Broken {\n    param($Name)\n    if ($Name) {\n        'unclosed'\n}\n", `(ERROR|MISSING)`},
		{"PowerShell 7 operator fails", "Test-Path -LiteralPath $p && Remove-Item -LiteralPath $p\n", `ERROR && and \|\| need PowerShell 7`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "broken.ps1")
			if err := os.WriteFile(bad, []byte(tc.script), 0o644); err != nil {
				t.Fatal(err)
			}
			out, code := psparse(t, root, bad)
			if code != 1 {
				t.Fatalf("check.js exited %d on a broken script, want 1:\n%s", code, out)
			}
			loc := regexp.MustCompile(regexp.QuoteMeta(bad) + `:\d+:\d+: ` + tc.want)
			if !loc.MatchString(out) || !regexp.MustCompile(`(?m)^1 files parsed, [1-9]\d* errors$`).MatchString(out) {
				t.Fatalf("check.js did not report the broken script's error as file:line:col:\n%s", out)
			}
		})
	}
}

// TestPowerShell51 checks every PowerShell file of the repository, and the
// batch, upload and download scripts as a session sends them (decoded from
// their -EncodedCommand line), against the cmdlets of Windows PowerShell
// 5.1 (tools/psparse, in one run): each command exists, its parameters do,
// some parameter set takes them, and nothing needs PowerShell 6 or later.
func TestPowerShell51(t *testing.T) {
	root := moduleRoot(t)
	files := powerShellFiles(t, root)
	sent := map[string]string{}
	for name, script := range map[string]string{"batch": BatchScript, "upload": UploadScript, "download": DownloadScript} {
		text, ok := pscheck.DecodeCommand(EncodedCommand(script))
		if !ok || text != script {
			t.Fatalf("the %s command line does not carry the %s script", name, name)
		}
		sent["sent-"+name+".ps1"] = text
	}
	files = append(files, pscheck.WriteScripts(t, sent)...)
	out, code := pscheck.Check(t, root, files...)
	n, ok := pscheck.ParseCounts(out)
	if code != 0 || !ok || n.Errors != 0 || n.Files != len(files) {
		t.Fatalf("check.js exited %d on %d files:\n%s", code, len(files), out)
	}
	t.Logf("%d scripts, %d commands: %d cmdlets, %d functions, %d native, %d computed at run time",
		n.Files, n.Commands, n.Cmdlets, n.Functions, n.Native, n.Dynamic)
}

// TestPowerShellFilesAreASCII keeps the scripts ASCII: Windows PowerShell
// 5.1 reads a script without a byte order mark in the ANSI code page.
func TestPowerShellFilesAreASCII(t *testing.T) {
	root := moduleRoot(t)
	for _, f := range powerShellFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if j := strings.IndexFunc(line, func(r rune) bool { return r > 0x7e || (r < 0x20 && r != '\t' && r != '\r') }); j >= 0 {
				t.Errorf("%s:%d:%d: character %q outside printable ASCII", f, i+1, j+1, []rune(line[j:])[0])
			}
		}
	}
}

// TestModuleImplementsCatalog checks that the module's op table names
// exactly the catalog's ops, and that each function it names is defined.
func TestModuleImplementsCatalog(t *testing.T) {
	src := string(Module)
	block := regexp.MustCompile(`(?s)\$script:MsiLabOps = @\{\r?\n(.*?)\r?\n\}`).FindStringSubmatch(src)
	if block == nil {
		t.Fatal("no $script:MsiLabOps = @{ ... } table in MsiLab.psm1")
	}
	entry := regexp.MustCompile(`^\s*'([^']+)'\s*=\s*'([^']+)'\s*$`)
	table := map[string]string{}
	for _, line := range strings.Split(block[1], "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		m := entry.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("op table line not of the form 'op' = 'Function-Name': %q", line)
			continue
		}
		if _, dup := table[m[1]]; dup {
			t.Errorf("op %s listed twice", m[1])
		}
		table[m[1]] = m[2]
	}

	var names []string
	for name := range table {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := Names(); !slices.Equal(names, want) {
		t.Errorf("module ops differ from the catalog:\n module:  %v\n catalog: %v", names, want)
	}

	// Invoke-MsiLabOp calls each as `& $fn -OpArgs $OpArgs`, a command
	// whose name the PowerShell 5.1 check cannot know: it takes -OpArgs.
	for op, fn := range table {
		def := regexp.MustCompile(`(?m)^function ` + regexp.QuoteMeta(fn) + ` \{`)
		if !def.MatchString(src) {
			t.Errorf("op %s: function %s is not defined in MsiLab.psm1", op, fn)
			continue
		}
		takes := regexp.MustCompile(`(?m)^function ` + regexp.QuoteMeta(fn) + ` \{\r?\n\s*param\(\$OpArgs\b`)
		if !takes.MatchString(src) {
			t.Errorf("op %s: function %s does not start with param($OpArgs ...), which the dispatcher passes", op, fn)
		}
	}
	if !strings.Contains(src, "& $fn -OpArgs $OpArgs") {
		t.Error("the dispatcher no longer calls `& $fn -OpArgs $OpArgs`: update this test")
	}
}
