// Package layout tests the repository's shape: which packages may link
// which, and that no build output is tracked.
package layout

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testtool"
)

const module = "github.com/msilab/msilab"

// The packages that run against real hosts must not link the simulator:
// the Packer plugin runs on real VMs, and remediation, faults and
// scenarios are what a real lab uses.
var realHostPackages = []string{"./cmd/packer-plugin-msilab", "./remediation", "./faults", "./scenarios",
	"./scenarios/runner", "./journal", "./win", "./lab", "./lab/ops", "./doctor",
	"./lab/snapshot/vsphere", "./lab/snapshot/libvirt", "./lab/snapshot/hyperv"}

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestRealHostPackagesLinkNoSimulator(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, pkg := range realHostPackages {
		cmd := exec.Command(goBin, "list", "-deps", pkg)
		cmd.Dir = repoRoot(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		if bad := simDeps(out); len(bad) > 0 {
			t.Errorf("%s links the simulator: %s", pkg, strings.Join(bad, ", "))
		}
	}
}

// simDeps lists the simulator's packages in go list output.
func simDeps(out []byte) []string {
	var bad []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == module+"/lab/sim" || strings.HasPrefix(line, module+"/lab/sim/") {
			bad = append(bad, strings.TrimPrefix(line, module+"/"))
		}
	}
	return bad
}

func TestSimDepsFindsTheSimulator(t *testing.T) {
	out := []byte(module + "/win\n" + module + "/lab/sim/model\n" + module + "/lab/simple\n")
	if got := simDeps(out); len(got) != 1 || got[0] != "lab/sim/model" {
		t.Errorf("simDeps = %v, want [lab/sim/model]", got)
	}
}

// No tracked file is a build output: nothing executable that is not a
// script, and nothing over 2 MB but the test packages.
func TestNoTrackedBuildOutputs(t *testing.T) {
	git := testtool.Need(t, "git", "apt-get install git")
	cmd := exec.Command(git, "ls-files", "-s", "-z")
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	if problems := buildOutputs(out, func(path string) int64 { return fileSize(repoRoot(t), path) }); len(problems) > 0 {
		t.Errorf("tracked build outputs (add them to .gitignore and git rm --cached them):\n%s", strings.Join(problems, "\n"))
	}
}

// buildOutputs reads `git ls-files -s -z` and lists the entries that look
// like build outputs.
func buildOutputs(lsFiles []byte, size func(string) int64) []string {
	var out []string
	for _, rec := range bytes.Split(lsFiles, []byte{0}) {
		// "<mode> <object> <stage>\t<path>"
		meta, path, ok := strings.Cut(string(rec), "\t")
		if !ok {
			continue
		}
		mode := strings.Fields(meta)[0]
		ext := filepath.Ext(path)
		switch {
		case mode == "100755" && ext != ".sh" && ext != ".py" && !strings.HasPrefix(path, ".ci/"):
			out = append(out, path+": executable")
		case ext != ".msi" && size(path) > 2_000_000:
			out = append(out, path+": "+strconv.FormatInt(size(path), 10)+" bytes")
		}
	}
	return out
}

func TestBuildOutputsFound(t *testing.T) {
	ls := []byte("100755 0123 0\tmsilab\x00100644 0123 0\tREADME.md\x00100755 0123 0\t.ci/run\x00100644 0123 0\tbig.bin\x00100644 0123 0\ttestpkgs/a.msi\x00")
	size := func(p string) int64 {
		if p == "big.bin" || p == "testpkgs/a.msi" {
			return 5_000_000
		}
		return 10
	}
	got := buildOutputs(ls, size)
	if len(got) != 2 || !strings.HasPrefix(got[0], "msilab:") || !strings.HasPrefix(got[1], "big.bin:") {
		t.Errorf("buildOutputs = %q, want msilab and big.bin", got)
	}
}

// fileSize is the size of a file of the work tree, 0 when it is absent.
func fileSize(root, path string) int64 {
	fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(path)))
	if err != nil {
		return 0
	}
	return fi.Size()
}
