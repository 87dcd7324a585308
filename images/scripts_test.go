package images_test

// The first-logon scripts against what the msilab provisioner checks: they
// write the very keys and values it reads, and the VMware Tools script
// finds its installer by what it is. (They run only on Windows: the
// repository's PowerShell parse check, lab/ops TestPowerShellParses,
// covers their syntax.)

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/msilab/msilab/images/provisioner"
)

func script(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("windows", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// psKey is a registry key as PowerShell's registry drive spells it.
func psKey(key string) string { return strings.Replace(key, `HKLM\`, `HKLM:\`, 1) }

func wantIn(t *testing.T, name, text string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(text) {
			t.Errorf("%s does not match %s", name, p)
		}
	}
}

// TestDisableAutoLogonScript: it writes what stepCheckAutoLogon reads.
func TestDisableAutoLogonScript(t *testing.T) {
	s := script(t, "disable-autologon.ps1")
	wantIn(t, "disable-autologon.ps1", s,
		regexp.QuoteMeta(`'`+psKey(provisioner.WinlogonKey)+`'`),
		`-Name AutoAdminLogon -PropertyType String -Value '0'`,
		`-Name AutoLogonCount -PropertyType DWord -Value 0`,
		`Remove-ItemProperty -Path \$winlogon -Name DefaultPassword`,
		`LsaStorePrivateData\(policy, ref key, IntPtr.Zero\)`,
		`Delete\('DefaultPassword'\)`)
}

// TestDisableWindowsUpdateScript: it sets the policy the provisioner sets
// and stops and disables the service, before WinRM (the answer file's
// order is checked by TestTemplatesEvaluate).
func TestDisableWindowsUpdateScript(t *testing.T) {
	s := script(t, "disable-windows-update.ps1")
	wantIn(t, "disable-windows-update.ps1", s,
		regexp.QuoteMeta(`'`+psKey(provisioner.WindowsUpdatePolicyKey)+`'`),
		`-Name NoAutoUpdate -PropertyType DWord -Value 1`,
		`Set-Service -Name wuauserv -StartupType Disabled`,
		`Stop-Service -Name wuauserv -Force`)
}

// TestInstallVMwareToolsScript: the installer is found by what it is, on
// any CD-ROM drive, for a bounded time, and a failure stops the script at
// once saying why (the old script looked only for setup64.exe).
func TestInstallVMwareToolsScript(t *testing.T) {
	s := script(t, "install-vmware-tools.ps1")
	wantIn(t, "install-vmware-tools.ps1", s,
		`foreach \(\$name in 'setup64\.exe', 'setup\.exe'\)`,
		`\[System\.IO\.DriveInfo\]::GetDrives\(\)`,
		`DriveType -ne \[System\.IO\.DriveType\]::CDRom`,
		`GetVersionInfo\(\$path\)\.ProductName`,
		`-like '\*VMware Tools\*'`,
		`\$deadline = \(Get-Date\)\.AddMinutes\(2\)`,
		`Stop-MsiLabToolsInstall \('no VMware Tools setup64\.exe or setup\.exe on any CD-ROM drive`,
		`Stop-MsiLabToolsInstall \('\{0\} exited with \{1\}\.'`,
		`exit 1`)
	if strings.Contains(s, `'{0}:\setup64.exe' -f $_.DriveLetter`) {
		t.Error("install-vmware-tools.ps1 still looks for setup64.exe on drive letters only")
	}
}
