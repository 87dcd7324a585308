package ops

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testtool"
)

// nativeSource is the C# the module compiles with Add-Type.
func nativeSource(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)\$script:MsiLabNativeSource = @"\r?\n(.*?)\r?\n"@`).FindStringSubmatch(string(Module))
	if m == nil {
		t.Fatal(`no $script:MsiLabNativeSource = @"..."@ here-string in MsiLab.psm1`)
	}
	// A double-quoted here-string is literal only without $ and backticks.
	if i := strings.IndexAny(m[1], "$`"); i >= 0 {
		t.Fatalf("the C# source has %q, which PowerShell would expand", m[1][i])
	}
	return m[1]
}

// mcs compiles C# as Windows PowerShell 5.1's Add-Type does: C# 5 against
// the .NET Framework 4.x class library (Mono's 4.5 profile), warnings as
// errors. It returns the compiler's output and whether it succeeded.
func mcs(t *testing.T, source string) (string, bool) {
	t.Helper()
	bin := testtool.Need(t, "mcs", "apt-get install mono-mcs")
	dir := t.TempDir()
	src := filepath.Join(dir, "native.cs")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), bin, "-langversion:5", "-target:library", "-warnaserror",
		"-out:"+filepath.Join(dir, "native.dll"), src).CombinedOutput()
	return string(out), err == nil
}

// TestNativeSourceCompiles compiles the module's C# helpers with a C# 5
// compiler, and shows that the check fails on C# 6 syntax, which Windows
// PowerShell 5.1's Add-Type rejects.
func TestNativeSourceCompiles(t *testing.T) {
	src := nativeSource(t)
	if out, ok := mcs(t, src); !ok {
		t.Fatalf("the module's C# does not compile as C# 5:\n%s", out)
	}
	broken := strings.Replace(src, `throw new Win32Exception(err); // ERROR_NOT_ALL_ASSIGNED: not held`,
		`throw new Win32Exception(err, $"{name} is not held");`, 1)
	if broken == src {
		t.Fatal("the planted error found nothing to replace")
	}
	if out, ok := mcs(t, broken); ok || !strings.Contains(out, "error") {
		t.Fatalf("C# 6 string interpolation compiled as C# 5:\n%s", out)
	}
}

// TestModuleContextLogons checks that the module's table of how each
// context obtains its token is ContextLogons, default first.
func TestModuleContextLogons(t *testing.T) {
	block := regexp.MustCompile(`(?s)\$script:MsiLabContextLogons = @\{\r?\n(.*?)\r?\n\}`).FindStringSubmatch(string(Module))
	if block == nil {
		t.Fatal("no $script:MsiLabContextLogons = @{ ... } table in MsiLab.psm1")
	}
	entry := regexp.MustCompile(`^\s*'([^']+)'\s*=\s*@\(([^)]*)\)\s*$`)
	got := map[string][]string{}
	for _, line := range strings.Split(block[1], "\n") {
		m := entry.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			t.Fatalf("table line not of the form 'context' = @('logon', ...): %q", line)
		}
		for _, l := range strings.Split(m[2], ",") {
			got[m[1]] = append(got[m[1]], strings.Trim(strings.TrimSpace(l), "'"))
		}
	}
	if len(got) != len(ContextLogons) {
		t.Errorf("module contexts %v, catalog %v", got, ContextLogons)
	}
	for c, want := range ContextLogons {
		if !slices.Equal(got[c], want) {
			t.Errorf("context %s: module logons %v, catalog %v", c, got[c], want)
		}
	}
}

// TestLogonsTravelBesideOps checks that a request carries passwords only
// in its logons, so that a batch as recorded ([]Op) holds none, and that
// formatting a Logon never shows its password.
func TestLogonsTravelBesideOps(t *testing.T) {
	batch := []Op{MustNew(OpMsiInstall, MsiInstallArgs{Package: `C:\p.msi`, Context: ContextStandardUser})}
	req, err := EncodeRequest(batch, Logon{User: DefaultStandardUser, Password: "S3cret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(req), `"logons":[{"user":"msilab-user","password":"S3cret-pw"}]`) {
		t.Errorf("request lacks the logon: %s", req)
	}
	for _, op := range batch {
		if strings.Contains(string(op.Args), "S3cret") {
			t.Errorf("the op holds the password: %s", op.Args)
		}
	}
	l := Logon{User: "u", Password: "S3cret-pw"}
	for _, s := range []string{l.String(), l.GoString()} {
		if strings.Contains(s, "S3cret") {
			t.Errorf("formatted logon shows the password: %s", s)
		}
	}
	if plain, _ := EncodeRequest(batch); strings.Contains(string(plain), "logons") {
		t.Errorf("a request without logons names them: %s", plain)
	}
}

// TestStagingDirShared checks that the upload script and the module stage
// in StagingDir with the same protected ACL, which the simulated upload
// models.
func TestStagingDirShared(t *testing.T) {
	rel := strings.TrimPrefix(StagingDir, `C:\ProgramData\`)
	for name, text := range map[string]string{"upload.ps1": UploadScript, "MsiLab.psm1": string(Module)} {
		if !strings.Contains(text, `Join-Path $env:ProgramData '`+rel+`'`) ||
			!strings.Contains(text, `'D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)'`) {
			t.Errorf("%s does not stage in %s with its admin-only ACL", name, StagingDir)
		}
	}
	if strings.Contains(UploadScript, "GetTempPath") || strings.Contains(strings.ToLower(UploadScript), "$env:temp") {
		t.Errorf("upload.ps1 uses %%TEMP%%")
	}
}

// TestModuleArgsMatchCatalog checks, for the ops whose arguments the
// contexts' logons changed, that the module accepts exactly the fields of
// the Go argument struct (the simulated host decodes them strictly).
func TestModuleArgsMatchCatalog(t *testing.T) {
	for _, tc := range []struct {
		fn   string
		args any
	}{
		{"Invoke-MsiLabMsiInstall", MsiInstallArgs{}},
		{"Invoke-MsiLabMsiUninstall", MsiUninstallArgs{}},
		{"Invoke-MsiLabUserLogon", UserLogonArgs{}},
		{"Invoke-MsiLabMutexHold", MutexHoldArgs{}},
	} {
		body := regexp.MustCompile(`(?s)\nfunction ` + regexp.QuoteMeta(tc.fn) + ` \{\r?\n(.*?)\r?\n\}`).FindStringSubmatch(string(Module))
		if body == nil {
			t.Errorf("no function %s", tc.fn)
			continue
		}
		m := regexp.MustCompile(`Assert-MsiLabArgs \$OpArgs @\(([^)]*)\)`).FindStringSubmatch(body[1])
		if m == nil {
			t.Errorf("%s does not check its arguments", tc.fn)
			continue
		}
		var got []string
		for _, f := range strings.Split(m[1], ",") {
			got = append(got, strings.Trim(strings.TrimSpace(f), "'"))
		}
		var want []string
		typ := reflect.TypeOf(tc.args)
		for i := range typ.NumField() {
			want = append(want, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s accepts %v, the catalog's %s has %v", tc.fn, got, typ.Name(), want)
		}
	}
}

// moduleFunction is the body of a function of MsiLab.psm1.
func moduleFunction(t *testing.T, name string) string {
	t.Helper()
	body := regexp.MustCompile(`(?s)\nfunction ` + regexp.QuoteMeta(name) + ` \{\r?\n(.*?)\r?\n\}`).FindStringSubmatch(string(Module))
	if body == nil {
		t.Fatalf("no function %s in MsiLab.psm1", name)
	}
	return body[1]
}

// TestModuleACLsAsStored checks that acl.get and acl.set read and write the
// descriptor through the C# Sddl helper (GetNamedSecurityInfoW,
// SetNamedSecurityInfoW), never through .NET's ObjectSecurity, which
// canonicalises the DACL (docs/evidence.md#E-net-canonical-acl), and that
// the read after the set tells a hidden result by its Win32 code, not by
// an exception type.
func TestModuleACLsAsStored(t *testing.T) {
	for fn, want := range map[string]string{
		"Get-MsiLabAcl":     "[MsiLab.Sddl]::Read(",
		"Set-MsiLabAcl":     "[MsiLab.Sddl]::Apply(",
		"Remove-MsiLabPath": "Get-MsiLabAcl",
	} {
		body := moduleFunction(t, fn)
		if !strings.Contains(body, want) {
			t.Errorf("%s does not call %s", fn, want)
		}
		for _, bad := range []string{"Get-Acl", "Set-Acl", "SddlForm", "catch [System.UnauthorizedAccessException]"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s uses %s", fn, bad)
			}
		}
	}
	src := nativeSource(t)
	for _, call := range []string{"SetNamedSecurityInfoW", "GetNamedSecurityInfoW", "ConvertStringSecurityDescriptorToSecurityDescriptorW",
		"PROTECTED_DACL_SECURITY_INFORMATION", "UNPROTECTED_DACL_SECURITY_INFORMATION"} {
		if !strings.Contains(src, call) {
			t.Errorf("the C# helpers lack %s", call)
		}
	}
}
