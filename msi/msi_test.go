package msi

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testtool"
)

// Values authored in testdata/permachine.wxs and testdata/peruser.wxs.
const (
	pmProductCode = "{8A3F2C1E-5B6D-4E7F-9A0B-1C2D3E4F5A6B}"
	pmUpgradeCode = "{1F2E3D4C-5B6A-4978-8695-A4B3C2D1E0F9}"
	pmName        = "MsiLab PerMachine Test"
	puProductCode = "{9B4E3D2F-6C7E-4F80-8B1C-2D3E4F5A6B7C}"
	puUpgradeCode = "{2E3D4C5B-6A79-4887-96A5-B4C3D2E1F0A8}"
	puName        = "MsiLab PerUser Test"
	manufacturer  = "MsiLab Testing"
	version       = "1.2.3"
)

// prebuilt is testdata/permachine.wxs built once with msitools 0.101 wixl.
const prebuilt = "testdata/permachine.msi"

// needTool returns the path of an msitools binary, skipping the test when it
// is missing (failing instead under CI=true).
func needTool(t testing.TB, name string) string {
	t.Helper()
	return testtool.Need(t, name, "apt-get install wixl msitools gcab")
}

// buildMSI builds testdata/<src> with wixl into a temporary directory.
func buildMSI(t *testing.T, src string) string {
	t.Helper()
	wixl := needTool(t, "wixl")
	dir := t.TempDir()
	for _, f := range []string{src, "readme.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out.msi")
	cmd := exec.Command(wixl, "-o", out, src)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl %s: %v\n%s", src, err, b)
	}
	return out
}

func open(t *testing.T, path string) *Package {
	t.Helper()
	p, err := OpenFile(path)
	if err != nil {
		t.Fatalf("OpenFile(%s): %v", path, err)
	}
	return p
}

func wantProp(t *testing.T, p *Package, name, want string) {
	t.Helper()
	got, ok := p.Property(name)
	if !ok || got != want {
		t.Errorf("Property(%q) = %q, %v; want %q", name, got, ok, want)
	}
}

// rowsWith returns the rows of table whose column col equals val.
func rowsWith(t *testing.T, p *Package, table, col, val string) [][]Value {
	t.Helper()
	tb, err := p.Table(table)
	if err != nil {
		t.Fatalf("Table(%s): %v", table, err)
	}
	i := tb.ColumnIndex(col)
	if i < 0 {
		t.Fatalf("table %s has no column %s", table, col)
	}
	var out [][]Value
	for _, r := range tb.Rows {
		if r[i].String() == val {
			out = append(out, r)
		}
	}
	return out
}

func cell(t *testing.T, p *Package, table string, row []Value, col string) string {
	t.Helper()
	tb, _ := p.Table(table)
	i := tb.ColumnIndex(col)
	if i < 0 {
		t.Fatalf("table %s has no column %s", table, col)
	}
	return row[i].String()
}

// checkCommon asserts what both test packages share.
func checkCommon(t *testing.T, p *Package, code, upgrade, name, dirName, regRoot, regKey string) {
	t.Helper()
	if got := p.ProductCode(); got != code {
		t.Errorf("ProductCode = %q, want %q", got, code)
	}
	if got := p.ProductName(); got != name {
		t.Errorf("ProductName = %q, want %q", got, name)
	}
	if got := p.ProductVersion(); got != version {
		t.Errorf("ProductVersion = %q, want %q", got, version)
	}
	if got := p.Manufacturer(); got != manufacturer {
		t.Errorf("Manufacturer = %q, want %q", got, manufacturer)
	}
	wantProp(t, p, "UpgradeCode", upgrade)
	wantProp(t, p, "ProductLanguage", "1033")

	s, err := p.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if s.Author != manufacturer || s.Template != "Intel;1033" || s.PageCount != 200 || !s.Compressed() {
		t.Errorf("summary: %+v", s)
	}
	if len(s.PackageCode) != 38 || s.PackageCode[0] != '{' || s.Revision() != s.PackageCode {
		t.Errorf("summary package code %q", s.PackageCode)
	}

	files := rowsWith(t, p, "File", "FileName", "readme.txt")
	if len(files) != 1 {
		t.Fatalf("File rows for readme.txt: %v", files)
	}
	if got := cell(t, p, "File", files[0], "File"); got != "ReadmeFile" {
		t.Errorf("File key = %q", got)
	}
	if got := cell(t, p, "File", files[0], "Component_"); got != "MainComponent" {
		t.Errorf("File component = %q", got)
	}
	if got := cell(t, p, "File", files[0], "FileSize"); got != "20" {
		t.Errorf("File size = %q", got)
	}
	comps := rowsWith(t, p, "Component", "Component", "MainComponent")
	if len(comps) != 1 || cell(t, p, "Component", comps[0], "Directory_") != "INSTALLDIR" ||
		cell(t, p, "Component", comps[0], "KeyPath") != "ReadmeFile" {
		t.Errorf("Component rows: %v", comps)
	}
	dirs := rowsWith(t, p, "Directory", "Directory", "INSTALLDIR")
	if len(dirs) != 1 || cell(t, p, "Directory", dirs[0], "DefaultDir") != dirName {
		t.Errorf("Directory rows: %v", dirs)
	}
	if len(rowsWith(t, p, "Directory", "Directory", "TARGETDIR")) != 1 {
		t.Error("no TARGETDIR row")
	}
	regs := rowsWith(t, p, "Registry", "Key", regKey)
	if len(regs) != 1 {
		t.Fatalf("Registry rows: %v", regs)
	}
	if cell(t, p, "Registry", regs[0], "Root") != regRoot || cell(t, p, "Registry", regs[0], "Name") != "Version" ||
		cell(t, p, "Registry", regs[0], "Value") != version || cell(t, p, "Registry", regs[0], "Component_") != "MainComponent" {
		t.Errorf("Registry row: %v", regs[0])
	}
	tb, _ := p.Table("Registry")
	for _, c := range tb.Columns {
		if c.Name == "Registry" && (!c.Key || !c.String || c.Size != 72 || c.Nullable) {
			t.Errorf("Registry.Registry column: %+v", c)
		}
		if c.Name == "Root" && (c.Key || c.String || c.Size != 2) {
			t.Errorf("Registry.Root column: %+v", c)
		}
		if c.Name == "Name" && (!c.Nullable || !c.String) {
			t.Errorf("Registry.Name column: %+v", c)
		}
	}

	seq, err := p.Sequence("InstallExecuteSequence")
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, a := range seq {
		pos[a.Name] = i
		if i > 0 && seq[i-1].Sequence > a.Sequence {
			t.Errorf("sequence not sorted at %d: %v", i, seq)
		}
	}
	for _, a := range []string{"InstallInitialize", "InstallFiles", "InstallFinalize", "WriteRegistryValues"} {
		if _, ok := pos[a]; !ok {
			t.Errorf("InstallExecuteSequence lacks %s: %v", a, seq)
		}
	}
	if !(pos["InstallInitialize"] < pos["InstallFiles"] && pos["InstallFiles"] < pos["InstallFinalize"]) {
		t.Errorf("bad order: %v", seq)
	}
	if _, err := p.Sequence("NoSuchSequence"); !errors.Is(err, ErrNoTable) {
		t.Errorf("Sequence(NoSuchSequence) err = %v", err)
	}
}

func checkPerMachine(t *testing.T, p *Package) {
	checkCommon(t, p, pmProductCode, pmUpgradeCode, pmName, "MsiLabPM", "2", `Software\MsiLab\PerMachine`)
	if got := p.AllUsers(); got != "1" {
		t.Errorf("AllUsers = %q, want 1", got)
	}
	s, _ := p.Summary()
	if s.NoPrivileges() {
		t.Errorf("per-machine package has NoPrivileges (word count %d)", s.WordCount)
	}
	if s.Subject != "msilab per-machine test package" || s.Comments != "built by wixl" {
		t.Errorf("summary: %+v", s)
	}
}

func checkPerUser(t *testing.T, p *Package) {
	checkCommon(t, p, puProductCode, puUpgradeCode, puName, "MsiLabPU", "1", `Software\MsiLab\PerUser`)
	if got := p.AllUsers(); got == "1" {
		t.Errorf("AllUsers = %q for per-user package", got)
	}
	s, _ := p.Summary()
	if !s.NoPrivileges() || s.WordCount&WordCountNoPrivileges == 0 {
		t.Errorf("per-user package lacks NoPrivileges (word count %d)", s.WordCount)
	}
}

// TestPrebuilt runs unconditionally on the committed package.
func TestPrebuilt(t *testing.T) {
	p := open(t, prebuilt)
	checkPerMachine(t, p)
	tables := p.Tables()
	for _, want := range []string{"File", "Component", "Registry", "Directory", "Property", "InstallExecuteSequence", "Media", "Feature"} {
		found := false
		for _, n := range tables {
			found = found || n == want
		}
		if !found {
			t.Errorf("Tables() lacks %s: %v", want, tables)
		}
	}
	// Same result through Open on an in-memory reader.
	b, err := os.ReadFile(prebuilt)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if q.ProductCode() != pmProductCode {
		t.Errorf("Open: ProductCode %q", q.ProductCode())
	}
	cols, err := p.Table("_Columns")
	if err != nil || len(cols.Rows) == 0 {
		t.Errorf("_Columns: %v, %v", cols, err)
	}
	if _, err := p.Table("Nope"); !errors.Is(err, ErrNoTable) {
		t.Errorf("Table(Nope) err = %v", err)
	}
	found := false
	for _, s := range p.Streams() {
		found = found || s == "data.cab"
	}
	if !found {
		t.Errorf("Streams() lacks data.cab: %q", p.Streams())
	}
}

func TestWixlPerMachine(t *testing.T) {
	path := buildMSI(t, "permachine.wxs")
	p := open(t, path)
	checkPerMachine(t, p)
	crossCheck(t, p, path)
}

func TestWixlPerUser(t *testing.T) {
	path := buildMSI(t, "peruser.wxs")
	p := open(t, path)
	checkPerUser(t, p)
	crossCheck(t, p, path)
}

func TestPrebuiltCrossCheck(t *testing.T) {
	crossCheck(t, open(t, prebuilt), prebuilt)
}

func msiinfo(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(needTool(t, "msiinfo"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("msiinfo %v: %v\n%s", args, err, stderr.Bytes())
	}
	return string(out)
}

// idtType renders a column the way msiinfo export does (s72, I2, L255...).
func idtType(c Column) string {
	var b byte = 'i'
	if c.String {
		b = 's'
		if c.Type&typeLocalizable != 0 {
			b = 'l'
		}
		if c.Binary {
			b = 'v'
		}
	}
	if c.Nullable {
		b -= 'a' - 'A'
	}
	return string(b) + strconv.Itoa(c.Size)
}

// crossCheck compares every table msiinfo lists with msiinfo's IDT export.
func crossCheck(t *testing.T, p *Package, path string) {
	t.Helper()
	var listed []string
	for _, n := range strings.Fields(msiinfo(t, "tables", path)) {
		if n == "_SummaryInformation" || n == "_ForceCodepage" {
			continue // pseudo-tables of the export format
		}
		listed = append(listed, n)
	}
	mine := append([]string(nil), p.Tables()...)
	sort.Strings(mine)
	sort.Strings(listed)
	if strings.Join(mine, ",") != strings.Join(listed, ",") {
		t.Errorf("tables differ:\n got %v\nwant %v", mine, listed)
	}
	if len(listed) < 10 {
		t.Fatalf("msiinfo listed only %v", listed)
	}
	for _, name := range listed {
		lines := strings.Split(strings.TrimRight(strings.ReplaceAll(msiinfo(t, "export", path, name), "\r\n", "\n"), "\n"), "\n")
		if len(lines) < 3 {
			t.Errorf("%s: short export %q", name, lines)
			continue
		}
		tb, err := p.Table(name)
		if err != nil {
			t.Errorf("Table(%s): %v", name, err)
			continue
		}
		var names, types, keys []string
		keys = append(keys, name)
		for _, c := range tb.Columns {
			names = append(names, c.Name)
			types = append(types, idtType(c))
			if c.Key {
				keys = append(keys, c.Name)
			}
		}
		for i, want := range []string{strings.Join(names, "\t"), strings.Join(types, "\t"), strings.Join(keys, "\t")} {
			if lines[i] != want {
				t.Errorf("%s header line %d:\n got %q\nwant %q", name, i+1, want, lines[i])
			}
		}
		var got []string
		for _, r := range tb.Rows {
			f := make([]string, len(r))
			for i, v := range r {
				s := v.String()
				s = strings.NewReplacer("\t", "\x10", "\r", "\x11", "\n", "\x19").Replace(s)
				f[i] = s
			}
			got = append(got, strings.Join(f, "\t"))
		}
		want := lines[3:]
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s rows differ:\n got %q\nwant %q", name, got, want)
		}
	}
}
