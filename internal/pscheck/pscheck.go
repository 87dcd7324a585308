// Package pscheck runs the repository's PowerShell parse check
// (tools/psparse: tree-sitter-powershell through node) for tests.
package pscheck

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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
	node := testtool.Need(t, "node", "install Node.js and run `"+Install+"`")
	testtool.NeedFile(t, filepath.Join(root, "tools", "psparse", "node_modules", "web-tree-sitter"), "run `"+Install+"`")
	cmd := exec.CommandContext(t.Context(), node, append([]string{filepath.Join("tools", "psparse", "check.js")}, files...)...)
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
