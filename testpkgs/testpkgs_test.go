package testpkgs

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testtool"
)

// needTool returns the path of an external tool, skipping the test when it
// is missing (failing instead under CI=true).
func needTool(t testing.TB, name string) string {
	t.Helper()
	return testtool.Need(t, name, "apt-get install wixl msitools wine")
}

func TestNamesBytesLookup(t *testing.T) {
	want := []string{"ca-fail", "ca-missing-exe", "ca-ok", "permachine", "peruser"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	for _, name := range want {
		b, err := Bytes(name)
		if err != nil {
			t.Fatalf("Bytes(%q): %v", name, err)
		}
		// Compound file signature.
		if !bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
			t.Errorf("Bytes(%q) is not a compound file", name)
		}
		info, err := Lookup(name)
		if err != nil || info.Name != name {
			t.Errorf("Lookup(%q) = %+v, %v", name, info, err)
		}
	}

	_, errB := Bytes("nope")
	_, errL := Lookup("nope")
	for _, err := range []error{errB, errL} {
		if !errors.Is(err, ErrUnknown) {
			t.Errorf("err = %v, want errors.Is ErrUnknown", err)
		}
		var ue *UnknownError
		if !errors.As(err, &ue) || ue.Name != "nope" || !slices.Equal(ue.Known, want) {
			t.Errorf("err = %#v, want *UnknownError{nope, %q}", err, want)
			continue
		}
		for _, n := range want {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("message %q does not list %q", err, n)
			}
		}
	}
}

// msiinfo runs msiinfo with args and returns its stdout.
func msiinfo(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(needTool(t, "msiinfo"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("msiinfo %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

// rows parses `msiinfo export` output: three header lines (names, types,
// table and keys), then one tab-separated row per line.
func rows(t *testing.T, pkg, table string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(msiinfo(t, "export", pkg, table), "\r\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("msiinfo export %s %s: %d lines, want a 3-line header", pkg, table, len(lines))
	}
	var rs [][]string
	for _, l := range lines[3:] {
		rs = append(rs, strings.Split(strings.TrimRight(l, "\r"), "\t"))
	}
	return rs
}

// buildMSI builds <name>.wxs with wixl into a temporary directory.
func buildMSI(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+".msi")
	cmd := exec.Command(needTool(t, "wixl"), "-o", out, name+".wxs")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl %s.wxs: %v\n%s", name, err, b)
	}
	return out
}

func TestCommittedMatchSources(t *testing.T) {
	needTool(t, "wixl")
	needTool(t, "msiinfo")
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			committed := name + ".msi"
			disk, err := os.ReadFile(committed)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := Bytes(name); !bytes.Equal(b, disk) {
				t.Errorf("Bytes(%q) differs from %s", name, committed)
			}

			// The summary information (package code, timestamps) and the
			// cabinet stream (file dates) differ between builds; the tables,
			// including MsiFileHash of the payload, must not.
			rebuilt := buildMSI(t, name)
			tables := func(pkg string) []string {
				var ts []string
				for _, tb := range strings.Fields(msiinfo(t, "tables", pkg)) {
					if tb != "_SummaryInformation" {
						ts = append(ts, tb)
					}
				}
				slices.Sort(ts)
				return ts
			}
			want, got := tables(committed), tables(rebuilt)
			if !slices.Equal(got, want) {
				t.Fatalf("rebuilt tables %q, committed %q", got, want)
			}
			for _, tb := range want {
				if c, r := msiinfo(t, "export", committed, tb), msiinfo(t, "export", rebuilt, tb); c != r {
					t.Errorf("table %s differs; run go generate ./testpkgs\ncommitted:\n%s\nrebuilt:\n%s", tb, c, r)
				}
			}
		})
	}
}

func TestAuthoredFacts(t *testing.T) {
	needTool(t, "msiinfo")
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			info, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			pkg := name + ".msi"

			props := map[string]string{}
			for _, r := range rows(t, pkg, "Property") {
				props[r[0]] = r[1]
			}
			for prop, want := range map[string]string{
				"ProductCode":    info.ProductCode,
				"UpgradeCode":    info.UpgradeCode,
				"ProductName":    info.ProductName,
				"ProductVersion": "1.0.0",
				"Manufacturer":   "MsiLab Testing",
			} {
				if props[prop] != want {
					t.Errorf("Property %s = %q, want %q", prop, props[prop], want)
				}
			}
			allusers, ok := props["ALLUSERS"]
			if info.PerMachine && allusers != "1" || !info.PerMachine && ok {
				t.Errorf("ALLUSERS = %q (set: %v), PerMachine %v", allusers, ok, info.PerMachine)
			}
			// Word count (PID 15): bit 8 is "elevated privileges not required".
			for _, r := range rows(t, pkg, "_SummaryInformation") {
				if r[0] == "15" {
					wc, _ := strconv.Atoi(r[1])
					if noElev := wc&8 != 0; noElev == info.PerMachine {
						t.Errorf("word count %d, PerMachine %v", wc, info.PerMachine)
					}
				}
			}

			checkPayload(t, pkg, info)
			checkCustomActions(t, pkg, info)
		})
	}
}

// checkPayload checks the File, Directory and Registry tables against info.
func checkPayload(t *testing.T, pkg string, info Info) {
	t.Helper()
	fs := rows(t, pkg, "File")
	if len(fs) != 1 || fs[0][2] != info.File {
		t.Fatalf("File rows %q, want one %q", fs, info.File)
	}
	var dir string
	for _, r := range rows(t, pkg, "Component") {
		if r[0] == fs[0][1] {
			dir = r[2]
		}
	}
	parent, defaultDir := map[string]string{}, map[string]string{}
	for _, r := range rows(t, pkg, "Directory") {
		parent[r[0]], defaultDir[r[0]] = r[1], r[2]
	}
	// Walk up to the standard folder, a child of TARGETDIR.
	var parts []string
	for d := dir; d != "" && d != "TARGETDIR"; d = parent[d] {
		if parent[d] == "TARGETDIR" {
			parts = append(parts, d)
			continue
		}
		long := defaultDir[d]
		if i := strings.LastIndex(long, "|"); i >= 0 {
			long = long[i+1:]
		}
		parts = append(parts, long)
	}
	slices.Reverse(parts)
	if got := strings.Join(parts, `\`); got != info.InstallDir {
		t.Errorf("install dir %q, want %q", got, info.InstallDir)
	}

	hive, key, _ := strings.Cut(info.RegistryKey, `\`)
	root := map[string]string{"HKCU": "1", "HKLM": "2"}[hive]
	regs := rows(t, pkg, "Registry")
	if len(regs) != 1 {
		t.Fatalf("Registry rows %q, want one", regs)
	}
	if r := regs[0]; r[1] != root || r[2] != key || r[3] != info.RegistryValue || r[4] != "1.0.0" {
		t.Errorf("Registry row %q, want root %s key %s name %s value 1.0.0", r, root, key, info.RegistryValue)
	}
}

// checkCustomActions checks the CustomAction table and its sequencing.
func checkCustomActions(t *testing.T, pkg string, info Info) {
	t.Helper()
	cas := rows(t, pkg, "CustomAction")
	if info.DeferredCA == "" {
		if len(cas) != 0 {
			t.Errorf("CustomAction rows %q, want none", cas)
		}
		return
	}
	program, command := "[%ComSpec]", "/c exit "+strconv.Itoa(info.CAExitCode)
	if info.CAProgram != "" {
		program, command = info.CAProgram, info.CACommand
	}
	want := [][]string{
		{"MsiLabSetCmdExe", "51", "CMDEXE", program, ""},
		// 3122 = 50 (exe in a property) + 0x400 in-script + 0x800 no-impersonate.
		{info.DeferredCA, "3122", "CMDEXE", command, ""},
	}
	slices.SortFunc(cas, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	slices.SortFunc(want, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	if !slices.EqualFunc(cas, want, slices.Equal[[]string]) {
		t.Errorf("CustomAction rows\n%q\nwant\n%q", cas, want)
	}

	seq, cond := map[string]int{}, map[string]string{}
	for _, r := range rows(t, pkg, "InstallExecuteSequence") {
		seq[r[0]], _ = strconv.Atoi(r[2])
		cond[r[0]] = r[1]
	}
	if s := seq["MsiLabSetCmdExe"]; info.CAProgram == "" && (s == 0 || s >= seq["CostInitialize"]) {
		t.Errorf("MsiLabSetCmdExe at %d, want before CostInitialize (%d)", s, seq["CostInitialize"])
	}
	// A program under [INSTALLDIR] is set once CostFinalize has resolved it.
	if s := seq["MsiLabSetCmdExe"]; info.CAProgram != "" && (s <= seq["CostFinalize"] || s >= seq["InstallInitialize"]) {
		t.Errorf("MsiLabSetCmdExe at %d, want between CostFinalize (%d) and InstallInitialize (%d)", s, seq["CostFinalize"], seq["InstallInitialize"])
	}
	if s := seq[info.DeferredCA]; s <= seq["InstallFiles"] || s >= seq["InstallFinalize"] {
		t.Errorf("%s at %d, want between InstallFiles (%d) and InstallFinalize (%d)",
			info.DeferredCA, s, seq["InstallFiles"], seq["InstallFinalize"])
	}
	if c := cond[info.DeferredCA]; c != "NOT Installed" {
		t.Errorf("%s condition %q, want NOT Installed", info.DeferredCA, c)
	}
}
