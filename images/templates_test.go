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
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

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
// is covered by the syntax check and TestTemplatesEvaluate only. Then what
// must not validate: passwords Windows' complexity rules refuse (checked by
// the msilab provisioner before the build starts), a CPU model without
// SSE4.2 and POPCNT, a bad product key, "gvlk" for an image without one.
func TestTemplatesValidate(t *testing.T) {
	v := newValidator(t)
	for _, osName := range imageOSes {
		out, err := v.validate(t, osName)
		if err != nil || !strings.Contains(out, "The configuration is valid.") {
			t.Errorf("packer validate windows (os=%s): %v\n%s", osName, err, out)
		}
	}
	for _, tc := range []struct {
		name string
		os   string
		vars []string
		want []string
	}{
		{"weak standard password", "server2022", []string{"standard_password=weakweakweak"},
			[]string{"standard_password: the password of msilab-user does not meet Windows' complexity requirements"}},
		{"weak admin password", "win10-22h2", []string{"admin_password=lowercase-only"},
			[]string{"admin_password: the password of msilab does not meet Windows' complexity requirements"}},
		{"admin password with the account name", "server2019", []string{"admin_password=Msilab-2025"},
			[]string{"admin_password: the password of msilab does not meet", "it contains the account name"}},
		{"qemu64", "server2025", []string{"qemu_cpu_model=qemu64"}, []string{"SSE4.2 and POPCNT"}},
		{"bad product key", "server2022", []string{"product_key=12345"}, []string{"The product_key must be empty"}},
		{"gvlk without a key for the image", "win11-24h2", []string{"product_key=gvlk"},
			[]string{"Invalid index", `local.image_name as "Windows 11 Enterprise Evaluation"`, "local.os.kms_client_keys"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := v.validate(t, tc.os, tc.vars...)
			if err == nil {
				t.Fatalf("packer validate with %v passed:\n%s", tc.vars, out)
			}
			flat := strings.Join(strings.Fields(out), " ") // packer wraps messages
			for _, want := range tc.want {
				if !strings.Contains(flat, want) {
					t.Errorf("packer validate with %v: the output lacks %q:\n%s", tc.vars, want, out)
				}
			}
			for _, v := range tc.vars {
				if pw, ok := strings.CutPrefix(v, "standard_password="); ok && strings.Contains(out, pw) {
					t.Errorf("packer's output shows the password")
				}
			}
		})
	}
}

// validator runs `packer validate` on a copy of images/windows without
// Hyper-V, with the qemu, vsphere and msilab plugins installed.
type validator struct {
	dir, plugins string
}

func newValidator(t *testing.T) *validator {
	t.Helper()
	v := &validator{plugins: installPlugins(t, "qemu", "vsphere"), dir: filepath.Join(t.TempDir(), "windows")}
	copyDir(t, filepath.Join("windows"), v.dir)
	edit(t, filepath.Join(v.dir, "plugins.pkr.hcl"), regexp.MustCompile(`(?s)\n    hyperv = \{.*?\n    \}`), "")
	edit(t, filepath.Join(v.dir, "sources.pkr.hcl"), regexp.MustCompile(`(?s)\nsource "hyperv-iso" "windows" \{.*?\n\}\n`), "")
	edit(t, filepath.Join(v.dir, "build.pkr.hcl"), regexp.MustCompile(`\n    "source.hyperv-iso.windows",`), "")
	return v
}

// validate runs packer validate for osName with the test credentials and
// vSphere settings, then vars (later -var flags win).
func (v *validator) validate(t *testing.T, osName string, vars ...string) (string, error) {
	t.Helper()
	args := []string{"validate", "-var", "os=" + osName, "-var", "admin_password=" + testAdminPassword,
		"-var", "standard_password=" + testStdPassword, "-var", "output_root=" + filepath.Join(t.TempDir(), "output"),
		"-var", "vsphere_server=vcenter.lab.example", "-var", "vsphere_user=packer-builder",
		"-var", "vsphere_password=vsphere-secret", "-var", "vsphere_datacenter=lab-dc", "-var", "vsphere_cluster=lab-cluster",
		"-var", "vsphere_datastore=lab-datastore"}
	for _, x := range vars {
		args = append(args, "-var", x)
	}
	cmd := packertest.Command(t, packertest.PackerPath(t), v.dir, []string{"PACKER_PLUGIN_PATH=" + v.plugins}, append(args, ".")...)
	out, err := cmd.CombinedOutput()
	return string(out), err
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
	TPM         bool              `json:"tpm"`
	ProductKey  string            `json:"product_key"`
	// Sources are the attributes of each source block, evaluated
	// (sourceAttrs): "qemu.cpu_model" and so on.
	Sources map[string]json.RawMessage `json:"sources"`
}

// evaluateExpr is what TestTemplatesEvaluate reads of the template, with
// every source block's attributes (sourceAttrs) as they evaluate.
func evaluateExpr(t *testing.T) string {
	t.Helper()
	var attrs []string
	for _, a := range sourceAttrs(t) {
		attrs = append(attrs, fmt.Sprintf("%q = %s", a.key, a.expr))
	}
	return `jsonencode({os = local.os, iso_url = local.iso_url, iso_checksum = local.iso_checksum, ` +
		`image_name = local.image_name, answer_cd = local.answer_cd, answer_cd_vsphere = local.answer_cd_vsphere, ` +
		`boot_command = local.boot_command, shutdown_command = local.shutdown_command, tpm = local.tpm, ` +
		`product_key = local.product_key, sources = {` + strings.Join(attrs, ", ") + `}})`
}

type sourceAttr struct{ key, expr string }

// sourceAttrs are the attributes of windows/sources.pkr.hcl's source
// blocks, keyed "<type>.<name>", with their expressions' source text, so
// that packer console evaluates them as the builders get them. (The ones
// that read build.* or source.* exist only in a build: none here.)
func sourceAttrs(t *testing.T) []sourceAttr {
	t.Helper()
	file := filepath.Join("windows", "sources.pkr.hcl")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var out []sourceAttr
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "source" || len(b.Labels) != 2 {
			continue
		}
		for name, a := range b.Body.Attributes {
			r := a.Expr.Range()
			// packer console reads one line: join the expression's lines.
			expr := strings.ReplaceAll(string(src[r.Start.Byte:r.End.Byte]), "\n", " ")
			out = append(out, sourceAttr{key: b.Labels[0] + "." + name, expr: "(" + expr + ")"})
		}
	}
	slices.SortFunc(out, func(a, b sourceAttr) int { return strings.Compare(a.key, b.key) })
	return out
}

// source decodes one evaluated source attribute.
func (e evaluated) source(t *testing.T, key string, v any) {
	t.Helper()
	raw, ok := e.Sources[key]
	if !ok {
		t.Fatalf("sources.pkr.hcl has no %s", key)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v (%s)", key, err, raw)
	}
}

func evaluate(t *testing.T, osName string, vars ...string) evaluated {
	t.Helper()
	args := []string{"console", "-var", "os=" + osName, "-var", "admin_password=" + testAdminPassword, "-var", "standard_password=" + testStdPassword}
	for _, v := range vars {
		args = append(args, "-var", v)
	}
	out, err := packer(t, evaluateExpr(t)+"\n", append(args, "windows")...)
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
// media are pinned by SHA-256, the answer files render to well-formed XML
// that installs the right image, creates the admin account and runs the
// first-logon scripts in order, on a CD with those scripts; and each
// source block's attributes as the builders get them (CPU model, vTPM,
// boot keys, the vSphere cache cleanup).
func TestTemplatesEvaluate(t *testing.T) {
	scripts := map[string]string{}
	for _, name := range []string{"disable-autologon.ps1", "disable-windows-update.ps1", "enable-winrm-https.ps1", "install-vmware-tools.ps1"} {
		data, err := os.ReadFile(filepath.Join("windows", "scripts", name))
		if err != nil {
			t.Fatal(err)
		}
		scripts[name] = string(data)
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
			if want := osName == "win11-24h2"; e.OS.TPM != want || e.TPM != want {
				t.Errorf("tpm = %v (os %v), want %v (Windows 11 requires TPM 2.0)", e.TPM, e.OS.TPM, want)
			}
			if !strings.HasPrefix(e.ISOURL, "https://software-static.download.prss.microsoft.com/") ||
				!regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(e.ISOChecksum) || e.ImageName == "" || e.OS.VSphereGuestOSType == "" {
				t.Errorf("evaluation media: %q %q image %q", e.ISOURL, e.ISOChecksum, e.ImageName)
			}
			if !strings.Contains(e.ShutdownCmd, "shutdown /s") || len(e.BootCommand) == 0 {
				t.Errorf("boot %q, shutdown %q", e.BootCommand, e.ShutdownCmd)
			}
			if got := keys(e.AnswerCD); got != "autounattend.xml disable-autologon.ps1 disable-windows-update.ps1 enable-winrm-https.ps1" {
				t.Errorf("answer CD files: %s", got)
			}
			if got := keys(e.AnswerCDVMW); got != "autounattend.xml disable-autologon.ps1 disable-windows-update.ps1 enable-winrm-https.ps1 install-vmware-tools.ps1" {
				t.Errorf("vSphere answer CD files: %s", got)
			}
			for name, want := range scripts {
				if got, ok := e.AnswerCDVMW[name]; ok && got != want {
					t.Errorf("the CD's %s is not the script file", name)
				}
			}
			// Evaluation media take no product key.
			if e.ProductKey != "" {
				t.Errorf("product key %q for evaluation media", e.ProductKey)
			}
			a := checkAnswer(t, e.AnswerCD["autounattend.xml"], e.ImageName, p.Edition, false)
			checkAnswer(t, e.AnswerCDVMW["autounattend.xml"], e.ImageName, p.Edition, true)
			if a.productKey != nil || a.labConfig != nil {
				t.Errorf("evaluation media, vTPM: product key %q, LabConfig commands %q", a.productKey, a.labConfig)
			}
			checkSources(t, e, osName, e.TPM)
		})
	}

	// Given media replace the evaluation media, with their checksum.
	e := evaluate(t, "server2022", "iso_url=/isos/server.iso", "iso_checksum=sha256:00", "image_name=Windows Server 2022 SERVERDATACENTER")
	if e.ISOURL != "/isos/server.iso" || e.ISOChecksum != "sha256:00" || !strings.Contains(e.AnswerCD["autounattend.xml"], "SERVERDATACENTER<") {
		t.Errorf("given media: %q %q", e.ISOURL, e.ISOChecksum)
	}
}

// checkSources checks the evaluated source blocks: QEMU's CPU model has
// SSE4.2 and POPCNT; every builder presses a key all through the window in
// which Windows Setup's "Press any key to boot from CD or DVD" may show;
// the vTPM is on exactly when tpm, and QEMU's keeps its state in the
// output directory; vSphere deletes the answer CD it uploaded.
func checkSources(t *testing.T, e evaluated, osName string, tpm bool) {
	t.Helper()
	var cpu, qemuBinary, outputDir string
	var qemuVTPM, hypervTPM, vsphereTPM, cleanup bool
	var qemuArgs [][]string
	e.source(t, "qemu.cpu_model", &cpu)
	e.source(t, "qemu.qemu_binary", &qemuBinary)
	e.source(t, "qemu.output_directory", &outputDir)
	e.source(t, "qemu.qemuargs", &qemuArgs)
	e.source(t, "qemu.vtpm", &qemuVTPM)
	e.source(t, "hyperv-iso.enable_tpm", &hypervTPM)
	e.source(t, "vsphere-iso.vTPM", &vsphereTPM)
	e.source(t, "vsphere-iso.remote_cache_cleanup", &cleanup)
	if cpu != "host" {
		t.Errorf("qemu cpu_model %q, want host (KVM)", cpu)
	}
	if !cleanup {
		t.Error("vsphere-iso: remote_cache_cleanup is off: the answer CD with the administrator's password stays on the datastore")
	}
	// QEMU: the plugin's own vtpm deletes swtpm's state; qemu-swtpm.sh
	// keeps it in the output directory.
	var state []string
	for _, a := range qemuArgs {
		if len(a) == 2 && a[0] == "-msilab-swtpm-state" {
			state = append(state, a[1])
		}
	}
	wantState := []string(nil)
	if tpm {
		abs, err := filepath.Abs(filepath.Join(outputDir, "vtpm"))
		if err != nil {
			t.Fatal(err)
		}
		wantState = []string{abs}
	}
	if qemuVTPM || hypervTPM != tpm || vsphereTPM != tpm || strings.Join(state, " ") != strings.Join(wantState, " ") ||
		strings.HasSuffix(qemuBinary, "scripts/qemu-swtpm.sh") != tpm {
		t.Errorf("%s vTPM (want %v): qemu vtpm %v, qemu_binary %q, swtpm state %q (want %q); hyperv %v; vsphere %v",
			osName, tpm, qemuVTPM, qemuBinary, state, wantState, hypervTPM, vsphereTPM)
	}
	for _, src := range []string{"hyperv-iso", "qemu", "vsphere-iso"} {
		var wait string
		var command []string
		e.source(t, src+".boot_wait", &wait)
		e.source(t, src+".boot_command", &command)
		if gap := bootPromptGap(t, wait, command); gap != "" {
			t.Errorf("%s: boot_wait %q, boot_command %q: %s", src, wait, command, gap)
		}
	}
}

// Windows Setup's "Press any key to boot from CD or DVD" waits about five
// seconds; when it shows depends on the firmware: about two seconds after
// power-on on a fast host, up to half a minute with Secure Boot firmware
// (OVMF) on a busy host.
const (
	promptLasts       = 5 * time.Second
	promptLatestStart = 30 * time.Second
)

// bootPromptGap says when a prompt shown from 1 s to promptLatestStart
// after power-on would get no key from boot_wait and boot_command ("" when
// every one gets one, at least a second before it ends). It reads
// <spacebar>, <enter> and <waitN>/<waitNs>/<wait> (one second), ignoring
// the time keys take to type (they only come later).
func bootPromptGap(t *testing.T, wait string, command []string) string {
	t.Helper()
	at, err := time.ParseDuration(wait)
	if err != nil {
		return fmt.Sprintf("boot_wait: %v", err)
	}
	var keys []time.Duration
	token := regexp.MustCompile(`<(spacebar|enter|wait(\d+[smh]?)?)>|.`)
	for _, line := range command {
		for _, m := range token.FindAllStringSubmatch(line, -1) {
			switch {
			case m[1] == "spacebar" || m[1] == "enter":
				keys = append(keys, at)
			case m[1] == "wait":
				at += time.Second
			case strings.HasPrefix(m[1], "wait"):
				d := m[2]
				if !strings.ContainsAny(d, "smh") {
					d += "s"
				}
				w, err := time.ParseDuration(d)
				if err != nil {
					return err.Error()
				}
				at += w
			}
		}
	}
	for shown := time.Second; shown <= promptLatestStart; shown += 250 * time.Millisecond {
		ok := false
		for _, k := range keys {
			if k >= shown && k <= shown+promptLasts-time.Second {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Sprintf("a prompt shown %s after power-on gets no key (keys at %v)", shown, keys)
		}
	}
	return ""
}

// TestBootPromptGap: the check that the boot keys cover the prompt's
// window catches the four spacebars from 2 s that missed it on slow
// firmware.
func TestBootPromptGap(t *testing.T) {
	if gap := bootPromptGap(t, "2s", []string{"<spacebar><wait1s><spacebar><wait1s><spacebar><wait1s><spacebar>"}); !strings.Contains(gap, "gets no key") {
		t.Errorf("four spacebars from 2 s: %q", gap)
	}
	if gap := bootPromptGap(t, "1s", []string{strings.Repeat("<spacebar><wait>", 40)}); gap != "" {
		t.Errorf("a key a second for 40 s: %q", gap)
	}
}

func keys(m map[string]string) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), " ")
}

// answer is what checkAnswer read of an answer file beyond its checks.
type answer struct {
	values     map[string][]string
	productKey []string // UserData/ProductKey/Key
	labConfig  []string // windowsPE RunSynchronous paths
}

// checkAnswer parses a rendered answer file and checks what it does.
func checkAnswer(t *testing.T, doc, imageName string, edition win.Edition, vmwareTools bool) answer {
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
	// The first-logon commands, in order: VMware Tools first on vSphere;
	// automatic logon off, automatic updates off, and only then WinRM (so
	// Packer and the msilab provisioner connect after both).
	script := func(name, args string) string {
		return `powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "& ((Get-Volume -FileSystemLabel MSILAB).DriveLetter + ':\` + name + `')` + args + `"`
	}
	wantCmds := []string{script("disable-autologon.ps1", ""), script("disable-windows-update.ps1", ""), script("enable-winrm-https.ps1", " -AdminUser 'msilab'")}
	if vmwareTools {
		wantCmds = append([]string{script("install-vmware-tools.ps1", "")}, wantCmds...)
	}
	cmds := v[oobe+"FirstLogonCommands/SynchronousCommand/CommandLine"]
	orders := strings.Join(v[oobe+"FirstLogonCommands/SynchronousCommand/Order"], " ")
	wantOrders := "1 2 3"
	if vmwareTools {
		wantOrders = "1 2 3 4"
	}
	if strings.Join(cmds, "\n") != strings.Join(wantCmds, "\n") || orders != wantOrders {
		t.Errorf("first logon commands (vmware tools %v) %q (order %s), want %q (order %s)", vmwareTools, cmds, orders, wantCmds, wantOrders)
	}
	if got := v[oobe+"UserData/ProductKey/WillShowUI"]; len(v[oobe+"UserData/ProductKey/Key"]) > 0 && strings.Join(got, "") != "OnError" {
		t.Errorf("ProductKey WillShowUI %q, want OnError", got)
	}
	return answer{values: v, productKey: v[oobe+"UserData/ProductKey/Key"], labConfig: v[oobe+"RunSynchronous/RunSynchronousCommand/Path"]}
}

// TestTemplatesProductKey: evaluation media get no product key;
// product_key = "gvlk" gives Setup Microsoft's KMS client setup key of the
// volume-licensed edition being installed; a key of one's own is passed
// as it is; Setup shows its key page only on error.
func TestTemplatesProductKey(t *testing.T) {
	for _, tc := range []struct {
		os, image, key, want string
	}{
		{"win10-22h2", "Windows 10 Enterprise", "gvlk", "NPPR9-FWDCX-D2C8J-H872K-2YT43"},
		{"win11-24h2", "Windows 11 Pro", "gvlk", "W269N-WFGWX-YVC9B-4J6C9-T83GX"},
		{"server2019", "Windows Server 2019 SERVERDATACENTER", "gvlk", "WMDGN-G9PQG-XVVXX-R3X43-63DFG"},
		{"server2022", "Windows Server 2022 SERVERSTANDARD", "gvlk", "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"},
		{"server2025", "Windows Server 2025 SERVERDATACENTERCORE", "gvlk", "D764K-2NDRG-47T6Q-P8T8W-YP6DF"},
		{"server2022", "Windows Server 2022 SERVERSTANDARD", "ABCDE-12345-FGHIJ-67890-KLMNO", "ABCDE-12345-FGHIJ-67890-KLMNO"},
	} {
		t.Run(tc.os+" "+tc.key, func(t *testing.T) {
			t.Parallel()
			p, err := win.LookupProfile(tc.os)
			if err != nil {
				t.Fatal(err)
			}
			e := evaluate(t, tc.os, "iso_url=/isos/licensed.iso", "iso_checksum=sha256:00", "image_name="+tc.image, "product_key="+tc.key)
			for _, vmw := range []bool{false, true} {
				doc := map[bool]string{false: e.AnswerCD["autounattend.xml"], true: e.AnswerCDVMW["autounattend.xml"]}[vmw]
				a := checkAnswer(t, doc, tc.image, p.Edition, vmw)
				if strings.Join(a.productKey, "") != tc.want || strings.Join(a.values["unattend/settings/component/UserData/ProductKey/WillShowUI"], "") != "OnError" {
					t.Errorf("product key %q (WillShowUI %q), want %s with OnError", a.productKey,
						a.values["unattend/settings/component/UserData/ProductKey/WillShowUI"], tc.want)
				}
			}
		})
	}
}

// TestTemplatesTPMBypass: with tpm_bypass, Windows 11 builds without a
// vTPM on every hypervisor, and the answer file sets Setup's LabConfig
// keys in Windows PE; other OSes are unaffected.
func TestTemplatesTPMBypass(t *testing.T) {
	for _, osName := range []string{"win11-24h2", "win10-22h2"} {
		t.Run(osName, func(t *testing.T) {
			t.Parallel()
			p, err := win.LookupProfile(osName)
			if err != nil {
				t.Fatal(err)
			}
			e := evaluate(t, osName, "tpm_bypass=true")
			if e.TPM {
				t.Error("tpm_bypass leaves the vTPM on")
			}
			checkSources(t, e, osName, false)
			var want []string
			if osName == "win11-24h2" {
				want = []string{`reg.exe add HKLM\SYSTEM\Setup\LabConfig /v BypassTPMCheck /t REG_DWORD /d 1 /f`,
					`reg.exe add HKLM\SYSTEM\Setup\LabConfig /v BypassSecureBootCheck /t REG_DWORD /d 1 /f`}
			}
			for _, vmw := range []bool{false, true} {
				doc := map[bool]string{false: e.AnswerCD["autounattend.xml"], true: e.AnswerCDVMW["autounattend.xml"]}[vmw]
				a := checkAnswer(t, doc, e.ImageName, p.Edition, vmw)
				if strings.Join(a.labConfig, "\n") != strings.Join(want, "\n") {
					t.Errorf("windowsPE commands %q, want %q", a.labConfig, want)
				}
			}
		})
	}
}

// TestTemplatesQemuCPUModel: QEMU never runs with its default CPU model
// (qemu64, without SSE4.2 and POPCNT): host with KVM, x86-64-v2-AES
// without, or the model given.
func TestTemplatesQemuCPUModel(t *testing.T) {
	for _, tc := range []struct {
		vars []string
		want string
	}{
		{nil, "host"},
		{[]string{"qemu_accelerator=tcg"}, "x86-64-v2-AES"},
		{[]string{"qemu_cpu_model=Skylake-Server-v4"}, "Skylake-Server-v4"},
	} {
		e := evaluate(t, "server2025", tc.vars...)
		var cpu string
		e.source(t, "qemu.cpu_model", &cpu)
		if cpu != tc.want {
			t.Errorf("%v: cpu_model %q, want %q", tc.vars, cpu, tc.want)
		}
	}
}

// TestTemplatesBuildOrder: packer inspect lists a restart before the
// msilab provisioner, so the manifest's build, UBR and msi.dll version are
// read after the last restart.
func TestTemplatesBuildOrder(t *testing.T) {
	out, err := packer(t, "", "inspect", "-var", "os=server2022", "-var", "admin_password="+testAdminPassword,
		"-var", "standard_password="+testStdPassword, "windows")
	if err != nil {
		t.Fatalf("packer inspect: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?s)provisioners:\s*\n(.*?)\n\s*\n`).FindStringSubmatch(out)
	if m == nil || strings.Join(strings.Fields(m[1]), " ") != "windows-restart msilab" {
		t.Fatalf("provisioners %q, want windows-restart then msilab:\n%s", m, out)
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
