package scenarios

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/testpkgs"
)

const validFile = `name: temp-acl-demo
summary: A demo.
references:
  - https://github.com/actions/runner-images/issues/1704
evidence: R
package: permachine
contexts: [admin-elevated, standard-user]
properties:
  LOGLEVEL: "2"
faults:
  - type: temp-acl
    variant: users-write-removed
  - type: mutex-held
    seconds: 30
os: [win11-24h2, server2022]
expect:
  exit_code: 1603
  messages: [2503, 2502]
  log: ["Note: 1: 2503"]
  not_log: ["Grabbed"]
  events: [10005, 1033]
overrides:
  - os: [server2022]
    contexts: [standard-user]
    exit_code: 1625
    events: []
    no_events: true
    reason: Server default policy.
`

// errLines parses data and returns its problems, one line each.
func errLines(t *testing.T, data string) []string {
	t.Helper()
	sc, err := Parse("s.yaml", []byte(data))
	if err == nil {
		t.Fatalf("parsed without error: %+v", sc)
	}
	if sc != nil {
		t.Errorf("a scenario came back with an error")
	}
	var list FileErrors
	if !errors.As(err, &list) {
		t.Fatalf("error %T is not FileErrors: %v", err, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) is false")
	}
	return strings.Split(err.Error(), "\n")
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string // prefixes of the error lines, in order
	}{
		{"unknown top-level key", "name: x\npackage: permachine\nexpected:\n  exit_code: 0\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:3:1: unknown key "expected" (known: name, summary,`}},
		{"unknown key in expect", "name: x\npackage: permachine\nexpect:\n  exit_code: 0\n  exitcode: 1\n",
			[]string{`s.yaml:5:3: unknown key "exitcode" in expect (known: exit_code, messages, log, not_log, events, no_events)`}},
		{"unknown fault parameter", "name: x\npackage: permachine\nfaults:\n  - type: temp-acl\n    varient: system-read-only\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:5:5: unknown parameter "varient" for fault temp-acl (parameters: variant)`}},
		{"bad fault parameter value", "name: x\npackage: permachine\nfaults:\n  - type: temp-acl\n    variant: wide-open\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:4:5: temp-acl`}},
		{"fault parameter of the wrong type", "name: x\npackage: permachine\nfaults:\n  - type: mutex-held\n    seconds: soon\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:5:14: parameter seconds of fault mutex-held: expected an integer, got a string ("soon")`}},
		{"type error", "name: x\npackage: permachine\nexpect:\n  exit_code: \"abc\"\n",
			[]string{`s.yaml:4:14: exit_code: expected an integer, got a string ("abc")`}},
		{"unknown fault type", "name: x\npackage: permachine\nfaults:\n  - type: temp-acls\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:4:11: unknown fault type "temp-acls" (known: ` + strings.Join(faults.Names(), ", ") + ")"}},
		{"unknown OS", "name: x\npackage: permachine\nos: [win11-24h2, win7]\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:3:18: unknown OS profile "win7" (known: server2016, server2019, server2022, server2025, win10-22h2, win11-24h2)`}},
		{"syntax error", "name: x\npackage: [permachine\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:`}},
		{"several problems", "name: Bad_Name\npackage: nothing\naction: remove\ncontexts: [admin, system]\nui: quiet\nfaults:\n  - type: disable-msi\n    value: 3\nexpect:\n  messages: [x]\n  no_events: yes\noverrides:\n  - reason: none\n",
			[]string{
				`s.yaml:1:7: name "Bad_Name": use lowercase`,
				`s.yaml:2:10: unknown package "nothing"`,
				`s.yaml:3:9: action "remove": expected install or uninstall`,
				`s.yaml:4:12: unknown context "admin" (known: admin-elevated, admin-filtered, standard-user, system)`,
				`s.yaml:5:5: ui "quiet": expected none or full`,
				`s.yaml:7:5: disable-msi`,
				`s.yaml:10:3: expect needs exit_code`,
				`s.yaml:10:14: messages: expected an integer, got a string ("x")`,
				`s.yaml:11:14: no_events: expected true or false, got a string ("yes")`,
				`s.yaml:13:5: override in overrides[0] names no os and no contexts`,
				`s.yaml:13:5: override in overrides[0] changes nothing`,
			}},
		{"a logon a context cannot use", "name: x\npackage: permachine\ncontexts: [standard-user, system]\nlogon: s4u-task\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:4:8: logon "s4u-task": context system can use system-task`}},
		{"missing keys", "summary: nothing else\n",
			[]string{`s.yaml:1:1: missing name`, `s.yaml:1:1: missing package`, `s.yaml:1:1: missing expect`}},
		{"override outside the scenario", "name: x\npackage: permachine\nos: [win11-24h2]\nexpect:\n  exit_code: 0\noverrides:\n  - os: [server2022]\n    contexts: [standard-user]\n    exit_code: 1\n",
			[]string{`s.yaml:7:10: unknown OS profile of this scenario "server2022" (known: win11-24h2)`,
				`s.yaml:8:16: unknown context of this scenario "standard-user" (known: admin-elevated)`}},
		{"repeated key", "name: x\nname: y\npackage: permachine\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:2:1: name is set twice (first on line 1)`}},
		{"contradiction", "name: x\npackage: permachine\nexpect:\n  exit_code: 0\n  events: [1033]\n  no_events: true\n",
			[]string{`s.yaml:6:3: no_events: true contradicts events`}},
		{"two documents", "name: x\npackage: permachine\nexpect:\n  exit_code: 0\n---\nname: y\n",
			[]string{`s.yaml:5:1: a second YAML document`}},
		{"not a mapping", "- name: x\n", []string{`s.yaml:1:1: a scenario is a mapping`}},
		{"empty", "", []string{`s.yaml: empty file`}},
		{"properties that break a command line", "name: x\npackage: permachine\nproperties:\n  A: \"x\\\"y\"\n  B: \"x\\ny\"\n  C: \"x\\x85y\"\n  1D: ok\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:4:6: property A: '"' at byte 1`, `s.yaml:5:6: property B: '\n' at byte 1`, `s.yaml:6:6: property C: '\u0085' at byte 1`,
				`s.yaml:7:3: property name "1D"`}},
		{"not UTF-8", "name: x\npackage: permachine\nsummary: caf\xe9\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:3:13: not UTF-8 text: byte 0xE9`}},
		{"a NUL", "name: x\npackage: permachine\nsummary: a\x00b\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:3:11: control character U+0000`}},
		{"bad reference and property", "name: x\npackage: permachine\nreferences: [runner-images#1704]\nproperties:\n  lower: 1\nexpect:\n  exit_code: 0\n",
			[]string{`s.yaml:3:14: reference "runner-images#1704" is not an http(s) URL`, `s.yaml:5:3: property name "lower"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errLines(t, tc.data)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("error %d:\n got %s\nwant %s...", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestFileErrorFields(t *testing.T) {
	_, err := Parse("dir/s.yaml", []byte("name: x\npackage: permachine\nfaults:\n  - type: nope\nexpect:\n  exit_code: 0\n"))
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("no *FileError in %v", err)
	}
	if fe.File != "dir/s.yaml" || fe.Line != 4 || fe.Column != 11 {
		t.Errorf("FileError = %+v", fe)
	}
	if !errors.Is(err, faults.ErrUnknown) {
		t.Errorf("the unknown fault's error is not wrapped: %v", err)
	}
}

func TestParseValid(t *testing.T) {
	sc, err := Parse("valid.yaml", []byte(validFile))
	if err != nil {
		t.Fatal(err)
	}
	if sc.File != "valid.yaml" || len(sc.SHA256) != 64 || sc.Action != ActionInstall || sc.UI != "none" {
		t.Errorf("defaults and record fields: %+v", sc)
	}
	if len(sc.Faults) != 2 || sc.Faults[0].Line != 11 || string(sc.Faults[0].Params) != `{"variant":"users-write-removed"}` ||
		string(sc.Faults[1].Params) != `{"seconds":30}` {
		t.Errorf("faults = %+v", sc.Faults)
	}
	if sc.Properties["LOGLEVEL"] != "2" {
		t.Errorf("properties = %v", sc.Properties)
	}
	o := sc.Overrides[0]
	if o.ExitCode == nil || *o.ExitCode != 1625 || o.Events == nil || len(*o.Events) != 0 || o.NoEvents == nil || !*o.NoEvents {
		t.Errorf("override = %+v", o)
	}

	// Round trip: what yaml.Marshal writes parses back to the same scenario.
	out, err := yaml.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("valid.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	strip := func(s *Scenario) Scenario {
		c := *s
		c.SHA256 = ""
		c.Faults = nil
		for _, f := range s.Faults {
			f.Line = 0
			c.Faults = append(c.Faults, f)
		}
		return c
	}
	if a, b := strip(sc), strip(back); !reflect.DeepEqual(a, b) {
		t.Errorf("round trip differs:\n%+v\n%+v\n%s", a, b, out)
	}
	// And through JSON, as results and records carry it.
	js, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Scenario
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if a, b := strip(sc), strip(&fromJSON); !reflect.DeepEqual(a, b) {
		t.Errorf("JSON round trip differs:\n%+v\n%+v", a, b)
	}
}

func TestLocalPackage(t *testing.T) {
	dir := t.TempDir()
	pkg, err := testpkgs.Bytes("permachine")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "my.msi"), pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "s.yaml")
	sc, err := Parse(file, []byte("name: x\npackage: my.msi\nexpect:\n  exit_code: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.PackageFile() != filepath.Join(dir, "my.msi") || sc.HostPackage() != `C:\ProgramData\msilab\packages\my.msi` {
		t.Errorf("PackageFile %q, HostPackage %q", sc.PackageFile(), sc.HostPackage())
	}
	_, err = Parse(file, []byte("name: x\npackage: other.msi\nexpect:\n  exit_code: 0\n"))
	if err == nil || !strings.HasPrefix(err.Error(), file+`:2:10: package "other.msi": `) {
		t.Errorf("missing package: %v", err)
	}
	sc, _ = Parse(file, []byte("name: x\npackage: peruser\nexpect:\n  exit_code: 0\n"))
	if sc.PackageFile() != "" || sc.HostPackage() != `C:\ProgramData\msilab\packages\peruser.msi` {
		t.Errorf("built-in package: %q %q", sc.PackageFile(), sc.HostPackage())
	}
}

// A package whose file name would leave the packages folder on the host
// is refused, even when the file exists (a '\' is a legal character in a
// Linux file name).
func TestPackageNameStaysInPackageDir(t *testing.T) {
	dir := t.TempDir()
	pkg, err := testpkgs.Bytes("permachine")
	if err != nil {
		t.Fatal(err)
	}
	escape := `..\..\..\Windows\System32\pwn.msi`
	if err := os.WriteFile(filepath.Join(dir, escape), pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "s.yaml")
	_, err = Parse(file, []byte("name: x\npackage: '"+escape+"'\nexpect:\n  exit_code: 0\n"))
	if err == nil || !strings.Contains(err.Error(), "package file name not allowed on the host") {
		t.Errorf("package %s: %v", escape, err)
	}
}

// validate rejects a package the run would: a file that is not an MSI
// database, and a path that is not a regular file, which must neither
// block (a FIFO) nor be read without end (/dev/zero).
func TestPackageMustBeAnMSI(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("text.msi", []byte("not a database"))
	write("cfb.msi", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 1024)...))
	cases := map[string]string{
		"text.msi": `is not a Windows Installer package`,
		"cfb.msi":  `is not a Windows Installer package`,
		"dir.msi":  `not a regular file: ` + filepath.Join(dir, "dir.msi") + ` is a directory`,
	}
	os.Mkdir(filepath.Join(dir, "dir.msi"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.msi"), 0o644); err == nil {
		cases["fifo.msi"] = `is a FIFO`
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		os.Symlink("/dev/zero", filepath.Join(dir, "zero.msi"))
		cases["zero.msi"] = `is a character device`
	}
	for pkg, want := range cases {
		_, err := Parse(file, []byte("name: x\npackage: "+pkg+"\nexpect:\n  exit_code: 0\n"))
		if err == nil || !strings.HasPrefix(err.Error(), file+":2:10: package \""+pkg+"\"") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", pkg, err, want)
		}
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "name: two\npackage: permachine\nexpect:\n  exit_code: 0\n")
	write("a.yaml", "name: one\npackage: permachine\nexpect:\n  exit_code: 0\n")
	write("notes.txt", "not a scenario")
	scs, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) != 2 || scs[0].Name != "one" || scs[1].Name != "two" || scs[0].File != filepath.Join(dir, "a.yaml") {
		t.Errorf("LoadDir = %v", scs)
	}
	write("c.yaml", "name: one\npackage: permachine\nexpect:\n  exit_code: 0\n")
	write("d.yaml", "name: four\npackage: permachine\nexpect:\n  exit_code: x\n")
	_, err = LoadDir(dir)
	var list FileErrors
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("LoadDir errors = %v", err)
	}
	if want := filepath.Join(dir, "c.yaml") + `:1:7: duplicate scenario name "one" (also in ` + filepath.Join(dir, "a.yaml") + ":1)"; list[0].Error() != want {
		t.Errorf("got  %s\nwant %s", list[0], want)
	}
	if !strings.HasPrefix(list[1].Error(), filepath.Join(dir, "d.yaml")+":4:14: exit_code") {
		t.Errorf("got %s", list[1])
	}
	if _, err := LoadDir(t.TempDir()); !errors.Is(err, ErrNoScenarios) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) || !errors.Is(err, ErrInvalid) {
		t.Errorf("missing file: %v", err)
	}
}

// A Loader can check against another fault catalog and other OS profiles.
type oneFault struct{}

func (oneFault) Lookup(name string) (faults.Info, error) {
	if name != "only" {
		return faults.Info{}, &faults.UnknownError{Name: name, Known: []string{"only"}}
	}
	return faults.Info{Name: "only", New: func() faults.Fault { return &fakeBase{} }}, nil
}
func (c oneFault) Decode(name string, _ json.RawMessage) (faults.Fault, error) {
	info, err := c.Lookup(name)
	if err != nil {
		return nil, err
	}
	return info.New(), nil
}
func (c oneFault) ParamsOf(name string) ([]faults.Param, error) {
	_, err := c.Lookup(name)
	return nil, err
}

func TestLoaderCatalog(t *testing.T) {
	l := &Loader{Faults: oneFault{}, Profiles: []string{"lab-os"}}
	if _, err := l.Parse("s.yaml", []byte("name: x\npackage: permachine\nos: [lab-os]\nfaults:\n  - type: only\nexpect:\n  exit_code: 0\n")); err != nil {
		t.Fatal(err)
	}
	_, err := l.Parse("s.yaml", []byte("name: x\npackage: permachine\nos: [win11-24h2]\nfaults:\n  - type: temp-acl\n  - type: only\n    x: 1\nexpect:\n  exit_code: 0\n"))
	want := `s.yaml:3:6: unknown OS profile "win11-24h2" (known: lab-os)` + "\n" +
		`s.yaml:5:11: unknown fault type "temp-acl" (known: only)` + "\n" +
		`s.yaml:7:5: unknown parameter "x" for fault only (it has no parameters)`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
