package images_test

// The image templates, checked without Windows or a hypervisor by Packer
// 1.9.4 itself: formatted (packer fmt -check), parsed (packer validate
// -syntax-only), and evaluated (packer console: every OS's locals and the
// rendered answer files, checked against msilab's OS profiles).

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/msilab/msilab/images/internal/packertest"
	"github.com/msilab/msilab/images/version"
	"github.com/msilab/msilab/win"
)

// imageOSes are the OS profiles images/windows builds.
var imageOSes = []string{"win10-22h2", "win11-24h2", "server2019", "server2022", "server2025"}

// Test credentials; the password has the characters XML must escape.
const (
	testAdminPassword = `Adm1n<&>Pass`
	testStdPassword   = "Std-Passw0rd!"
)

// packer runs packer with args in images/ (stdin in) and returns its
// combined output.
func packer(t *testing.T, in string, args ...string) (string, error) {
	t.Helper()
	cmd := packertest.Command(t, packertest.PackerPath(t), ".", nil, args...)
	cmd.Stdin = strings.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestTemplatesFormatted: every template is as `packer fmt` writes it.
func TestTemplatesFormatted(t *testing.T) {
	if out, err := packer(t, "", "fmt", "-check", "-diff", "-recursive", "."); err != nil {
		t.Fatalf("packer fmt -check: %v\n%s", err, out)
	}
}

// TestTemplatesSyntax: packer validate -syntax-only on every template, for
// every OS of images/windows.
func TestTemplatesSyntax(t *testing.T) {
	for _, osName := range imageOSes {
		out, err := packer(t, "", "validate", "-syntax-only", "-var", "os="+osName,
			"-var", "admin_password="+testAdminPassword, "-var", "standard_password="+testStdPassword, "windows")
		if err != nil || !strings.Contains(out, "Syntax-only check passed") {
			t.Errorf("packer validate -syntax-only windows (os=%s): %v\n%s", osName, err, out)
		}
	}
	out, err := packer(t, "", "validate", "-syntax-only", "-var", "winrm_password=x", "-var", "standard_password=y", "test")
	if err != nil || !strings.Contains(out, "Syntax-only check passed") {
		t.Errorf("packer validate -syntax-only test: %v\n%s", err, out)
	}
}

// TestTemplatesValidate runs a full `packer validate` of images/windows for
// every OS: each builder's and the msilab provisioner's own checks of their
// configuration, with the plugins at their pinned versions (qemu and
// vsphere built from the module proxy, msilab built here). The proxy
// refuses packer-plugin-hyperv's source, so the test validates a copy of
// the template without the hyperv-iso source and pin; the Hyper-V source
// is covered by the syntax check and TestTemplatesEvaluate only.
func TestTemplatesValidate(t *testing.T) {
	plugins := installPlugins(t, "qemu", "vsphere")
	dir := filepath.Join(t.TempDir(), "windows")
	copyDir(t, filepath.Join("windows"), dir)
	edit(t, filepath.Join(dir, "plugins.pkr.hcl"), regexp.MustCompile(`(?s)\n    hyperv = \{.*?\n    \}`), "")
	edit(t, filepath.Join(dir, "sources.pkr.hcl"), regexp.MustCompile(`(?s)\nsource "hyperv-iso" "windows" \{.*?\n\}\n`), "")
	edit(t, filepath.Join(dir, "build.pkr.hcl"), regexp.MustCompile(`\n    "source.hyperv-iso.windows",`), "")
	for _, osName := range imageOSes {
		cmd := packertest.Command(t, packertest.PackerPath(t), dir, []string{"PACKER_PLUGIN_PATH=" + plugins}, "validate",
			"-var", "os="+osName, "-var", "admin_password="+testAdminPassword, "-var", "standard_password="+testStdPassword,
			"-var", "output_root="+filepath.Join(t.TempDir(), "output"),
			"-var", "vsphere_server=vcenter.lab.example", "-var", "vsphere_user=packer-builder",
			"-var", "vsphere_password=vsphere-secret", "-var", "vsphere_datacenter=lab-dc", "-var", "vsphere_cluster=lab-cluster",
			"-var", "vsphere_datastore=lab-datastore", ".")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "The configuration is valid.") {
			t.Errorf("packer validate windows (os=%s): %v\n%s", osName, err, out)
		}
	}
}

// copyDir copies the files of a template folder, recursively.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// edit replaces re's one match in a file; no match fails the test (the
// template changed: update the test).
func edit(t *testing.T, file string, re *regexp.Regexp, with string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(re.FindAllIndex(data, -1)); n != 1 {
		t.Fatalf("%s: %d matches of %s, want 1", file, n, re)
	}
	if err := os.WriteFile(file, re.ReplaceAll(data, []byte(with)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// evaluated is what packer console gives back for one OS.
type evaluated struct {
	OS struct {
		Family             string `json:"family"`
		Build              int    `json:"build"`
		ImageName          string `json:"image_name"`
		ISOURL             string `json:"iso_url"`
		ISOChecksum        string `json:"iso_checksum"`
		TPM                bool   `json:"tpm"`
		VSphereGuestOSType string `json:"vsphere_guest_os_type"`
	} `json:"os"`
	ISOURL      string            `json:"iso_url"`
	ISOChecksum string            `json:"iso_checksum"`
	ImageName   string            `json:"image_name"`
	AnswerCD    map[string]string `json:"answer_cd"`
	AnswerCDVMW map[string]string `json:"answer_cd_vsphere"`
	BootCommand []string          `json:"boot_command"`
	ShutdownCmd string            `json:"shutdown_command"`
}

const evaluateExpr = `jsonencode({os = local.os, iso_url = local.iso_url, iso_checksum = local.iso_checksum, ` +
	`image_name = local.image_name, answer_cd = local.answer_cd, answer_cd_vsphere = local.answer_cd_vsphere, ` +
	`boot_command = local.boot_command, shutdown_command = local.shutdown_command})`

func evaluate(t *testing.T, osName string, vars ...string) evaluated {
	t.Helper()
	args := []string{"console", "-var", "os=" + osName, "-var", "admin_password=" + testAdminPassword, "-var", "standard_password=" + testStdPassword}
	for _, v := range vars {
		args = append(args, "-var", v)
	}
	out, err := packer(t, evaluateExpr+"\n", append(args, "windows")...)
	if err != nil {
		t.Fatalf("packer console (os=%s): %v\n%s", osName, err, out)
	}
	var e evaluated
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &e); err != nil {
		t.Fatalf("packer console (os=%s): %v\n%s", osName, err, out)
	}
	return e
}

// TestTemplatesEvaluate evaluates images/windows for every OS with packer
// console: the OS facts agree with msilab's OS profile, the evaluation
// media are pinned by SHA-256, and the answer files render to well-formed
// XML that installs the right image, creates the admin account and runs the
// WinRM script, on a CD with that script.
func TestTemplatesEvaluate(t *testing.T) {
	enableWinRM, err := os.ReadFile(filepath.Join("windows", "scripts", "enable-winrm-https.ps1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, osName := range imageOSes {
		t.Run(osName, func(t *testing.T) {
			t.Parallel()
			p, err := win.LookupProfile(osName)
			if err != nil {
				t.Fatal(err)
			}
			e := evaluate(t, osName)
			if e.OS.Build != p.Build || e.OS.Family != string(p.Edition) {
				t.Errorf("os-%s.pkr.hcl: build %d, family %s; the OS profile says %d, %s", osName, e.OS.Build, e.OS.Family, p.Build, p.Edition)
			}
			if want := osName == "win11-24h2"; e.OS.TPM != want {
				t.Errorf("tpm = %v, want %v (Windows 11 requires TPM 2.0)", e.OS.TPM, want)
			}
			if !strings.HasPrefix(e.ISOURL, "https://software-static.download.prss.microsoft.com/") ||
				!regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(e.ISOChecksum) || e.ImageName == "" || e.OS.VSphereGuestOSType == "" {
				t.Errorf("evaluation media: %q %q image %q", e.ISOURL, e.ISOChecksum, e.ImageName)
			}
			if !strings.Contains(e.ShutdownCmd, "shutdown /s") || len(e.BootCommand) == 0 {
				t.Errorf("boot %q, shutdown %q", e.BootCommand, e.ShutdownCmd)
			}
			if got := keys(e.AnswerCD); got != "autounattend.xml enable-winrm-https.ps1" {
				t.Errorf("answer CD files: %s", got)
			}
			if got := keys(e.AnswerCDVMW); got != "autounattend.xml enable-winrm-https.ps1 install-vmware-tools.ps1" {
				t.Errorf("vSphere answer CD files: %s", got)
			}
			if e.AnswerCD["enable-winrm-https.ps1"] != string(enableWinRM) {
				t.Error("the CD's enable-winrm-https.ps1 is not the script file")
			}
			checkAnswer(t, e.AnswerCD["autounattend.xml"], e.ImageName, p.Edition, false)
			checkAnswer(t, e.AnswerCDVMW["autounattend.xml"], e.ImageName, p.Edition, true)
		})
	}

	// Given media replace the evaluation media, with their checksum.
	e := evaluate(t, "server2022", "iso_url=/isos/server.iso", "iso_checksum=sha256:00", "image_name=Windows Server 2022 SERVERDATACENTER")
	if e.ISOURL != "/isos/server.iso" || e.ISOChecksum != "sha256:00" || !strings.Contains(e.AnswerCD["autounattend.xml"], "SERVERDATACENTER<") {
		t.Errorf("given media: %q %q", e.ISOURL, e.ISOChecksum)
	}
}

func keys(m map[string]string) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), " ")
}

// checkAnswer parses a rendered answer file and checks what it does.
func checkAnswer(t *testing.T, doc, imageName string, edition win.Edition, vmwareTools bool) {
	t.Helper()
	v, err := xmlValues(doc)
	if err != nil {
		t.Fatalf("answer file (vmware tools %v) is not well-formed XML: %v\n%s", vmwareTools, err, doc)
	}
	const oobe = "unattend/settings/component/"
	want := map[string][]string{
		oobe + "ImageInstall/OSImage/InstallFrom/MetaData/Key":                {"/IMAGE/NAME"},
		oobe + "ImageInstall/OSImage/InstallFrom/MetaData/Value":              {imageName},
		oobe + "DiskConfiguration/Disk/CreatePartitions/CreatePartition/Type": {"EFI", "MSR", "Primary"},
		oobe + "UserAccounts/LocalAccounts/LocalAccount/Name":                 {"msilab"},
		oobe + "UserAccounts/LocalAccounts/LocalAccount/Group":                {"Administrators"},
		oobe + "UserAccounts/LocalAccounts/LocalAccount/Password/Value":       {testAdminPassword},
		oobe + "AutoLogon/Username":                                           {"msilab"},
		oobe + "AutoLogon/LogonCount":                                         {"1"},
	}
	if edition == win.EditionServer {
		want[oobe+"UserAccounts/AdministratorPassword/Value"] = []string{testAdminPassword}
	} else {
		want[oobe+"UserAccounts/AdministratorPassword/Value"] = nil
	}
	for path, w := range want {
		if got := v[path]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("%s (vmware tools %v): %q, want %q", path, vmwareTools, got, w)
		}
	}
	cmds := v[oobe+"FirstLogonCommands/SynchronousCommand/CommandLine"]
	orders := strings.Join(v[oobe+"FirstLogonCommands/SynchronousCommand/Order"], " ")
	winrm := `powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "& ((Get-Volume -FileSystemLabel MSILAB).DriveLetter + ':\enable-winrm-https.ps1') -AdminUser 'msilab'"`
	switch {
	case vmwareTools && (len(cmds) != 2 || !strings.Contains(cmds[0], `:\install-vmware-tools.ps1`) || cmds[1] != winrm || orders != "1 2"):
		t.Errorf("vSphere first logon commands %q (order %s)", cmds, orders)
	case !vmwareTools && (len(cmds) != 1 || cmds[0] != winrm || orders != "1"):
		t.Errorf("first logon commands %q (order %s), want [%s]", cmds, orders, winrm)
	}
}

// xmlValues maps each element path (local names joined by /) to the text
// of the elements at that path, in document order.
func xmlValues(doc string) (map[string][]string, error) {
	dec := xml.NewDecoder(strings.NewReader(doc))
	out := map[string][]string{}
	var path []string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(path) != 0 {
				return nil, errors.New("unclosed elements")
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			if s := strings.TrimSpace(text.String()); s != "" {
				key := strings.Join(path, "/")
				out[key] = append(out[key], s)
			}
			text.Reset()
			path = path[:len(path)-1]
		}
	}
}

// TestRequiredPlugins: every template pins its plugins to one version, and
// the msilab plugin's pin is this plugin's version.
func TestRequiredPlugins(t *testing.T) {
	for _, tc := range []struct {
		file    string
		plugins []string
	}{
		{filepath.Join("windows", "plugins.pkr.hcl"), []string{"hyperv", "msilab", "qemu", "vsphere"}},
		{filepath.Join("test", "sim.pkr.hcl"), []string{"msilab"}},
	} {
		pins := requiredPlugins(t, tc.file)
		var names []string
		for name, pin := range pins {
			names = append(names, name)
			if !regexp.MustCompile(`^= \d+\.\d+\.\d+$`).MatchString(pin.version) || !strings.HasSuffix(pin.source, "/"+name) {
				t.Errorf("%s: %s = %+v: want source .../%s and an exact version (= x.y.z)", tc.file, name, pin, name)
			}
		}
		slices.Sort(names)
		if strings.Join(names, " ") != strings.Join(tc.plugins, " ") {
			t.Errorf("%s requires %v, want %v", tc.file, names, tc.plugins)
		}
		if got := pins["msilab"]; got.source != "github.com/msilab/msilab" || got.version != "= "+version.Version {
			t.Errorf("%s: msilab = %+v, want github.com/msilab/msilab = %s (images/version)", tc.file, got, version.Version)
		}
	}
}

type pin struct{ source, version string }

// requiredPlugins reads packer { required_plugins { ... } } from a file.
func requiredPlugins(t *testing.T, file string) map[string]pin {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out := map[string]pin{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "packer" {
			continue
		}
		for _, rp := range b.Body.Blocks {
			if rp.Type != "required_plugins" {
				continue
			}
			for name, attr := range rp.Body.Attributes {
				v, diags := attr.Expr.Value(nil)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				out[name] = pin{source: v.GetAttr("source").AsString(), version: v.GetAttr("version").AsString()}
			}
		}
	}
	return out
}
