package pscheck_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/pscheck"
)

// TestCheckFailsOnBrokenScripts plants one error per script, of each kind
// the Windows PowerShell 5.1 check knows, and checks that it is reported
// at its line (the last line of each script) and fails the run; the
// scripts go to check.js in one run, as the repository's are.
func TestCheckFailsOnBrokenScripts(t *testing.T) {
	root := pscheck.ModuleRoot(t)
	cases := []struct {
		name, script, want string
	}{
		{"unknown cmdlet", "Get-Frobnicator -Name x", `unknown command Get-Frobnicator: not a cmdlet of Windows PowerShell 5\.1`},
		{"cmdlet of PowerShell 7 only", "Get-Error -Newest 1", `unknown command Get-Error`},
		{"unknown parameter", "Get-ChildItem -LiteralPath C:\\ -Recurce", `Get-ChildItem has no parameter -Recurce`},
		{"ambiguous prefix", "Get-Item -F C:\\x", `ambiguous parameter -F of Get-Item: -Filter, -Force`},
		{"no parameter set: mandatory missing", "Set-Content -Value 'x'", `no parameter set of Set-Content takes -Value: mandatory -Path not given; mandatory -LiteralPath not given`},
		{"no parameter set: parameters of two sets", "Get-FileHash -Path C:\\x -LiteralPath C:\\y", `no parameter set of Get-FileHash takes -Path -LiteralPath`},
		{"no parameter set: too many positional", "Join-Path 'C:\\' 'a' 'b'", `no parameter set of Join-Path takes 3 positional: 2 positional parameter\(s\) left for 3`},
		{"switch given a value", "Remove-Item -LiteralPath C:\\x -Force $true", `no parameter set of Remove-Item takes -LiteralPath -Force 1 positional`},
		{"parameter without its argument", "Start-Sleep -Milliseconds", `-Milliseconds of Start-Sleep is missing its argument`},
		{"parameter given twice", "Get-Item -LiteralPath C:\\x -LiteralPath C:\\y", `-LiteralPath of Get-Item is given more than once`},
		{"sc is Set-Content", "sc config msiserver start= demand", `no parameter set of Set-Content takes 4 positional.*\(sc is the alias of Set-Content`},
		{"splatted hashtable with a wrong key", "$task = @{ TaskName = 'x'; Frob = 1 }\nGet-ScheduledTask @task", `Get-ScheduledTask has no parameter -Frob`},
		{"function parameter", "function Get-X { param([string] $Name, [switch] $Force) }\nGet-X -Name a -Forse", `Get-X has no parameter -Forse \(a function without \[CmdletBinding\(\)\] would take it into \$args\)`},
		{"advanced function mandatory", "function Get-X { param([Parameter(Mandatory = $true)] [string] $Name, [switch] $Force) }\nGet-X -Force", `no parameter set of Get-X takes -Force: mandatory -Name not given`},
		{"explicit positions", "function Get-Z { param([Parameter(Position = 0)] $A, [Parameter()] $B) }\nGet-Z 1 2", `no parameter set of Get-Z takes 2 positional: 1 positional parameter\(s\) left for 2`},
		{"module function not imported", "Invoke-MsiLabBatch -Request $r", `unknown command Invoke-MsiLabBatch`},
		{"module function not exported", "Import-Module -Name $m\nGet-MsiLabString $a 'x'", `unknown command Get-MsiLabString`},
		{"module function parameter", "Import-Module -Name $m\nInvoke-MsiLabBatch -Requets $r", `Invoke-MsiLabBatch has no parameter -Requets`},
		{"?? (PowerShell 7)", "$a = $b ?? 'c'", `ERROR near`},
		{"?. (PowerShell 7)", "$a = ${b}?.Length", `ERROR near`},
		{"ternary (PowerShell 7)", "$a = $b ? 'c' : 'd'", `ERROR near`},
		{"&& (PowerShell 7)", "Test-Path -LiteralPath C:\\x && Remove-Item -LiteralPath C:\\x", `&& and \|\| need PowerShell 7`},
		{"|| (PowerShell 7)", "Test-Path -LiteralPath C:\\x || Write-Output 'no'", `&& and \|\| need PowerShell 7`},
		{"-AsHashtable (PowerShell 6)", "$h = '{}' | ConvertFrom-Json -AsHashtable", `-AsHashtable of ConvertFrom-Json needs PowerShell 6 or later`},
		{"-AsByteStream (PowerShell 6)", "$b = Get-Content -LiteralPath C:\\x -AsByteStream", `-AsByteStream of Get-Content needs PowerShell 6 or later`},
		{"utf8NoBOM (PowerShell 6)", "Set-Content -LiteralPath C:\\x -Value 'y' -Encoding utf8NoBOM", `-Encoding utf8NoBOM needs PowerShell 6 or later`},
		{"ForEach-Object -Parallel (PowerShell 7)", "1..3 | ForEach-Object -Parallel { $_ }", `-Parallel of ForEach-Object needs PowerShell 6 or later`},
		{"-ErrorAction Break (PowerShell 7)", "Get-Item -LiteralPath C:\\x -ErrorAction Break", `-ErrorAction Break is not an ActionPreference of Windows PowerShell 5\.1`},
		{"$IsWindows (PowerShell 6)", "if ($IsWindows) { 'x' }", `\$IsWindows is defined by PowerShell 6 and later only`},
		{".NET Core API", "$s = [System.Convert]::ToHexString($b)", `\[System\.Convert\]::ToHexString is \.NET Core only`},
		{"String.Split(string)", "$p = 'a, b'.Split(', ')", `\.Split\(', '\) splits on each character`},
		{"non-ASCII without a byte order mark", "Write-Output 'C:\\Users\\Jos\u00e9'", `U\+00E9 in a script without a byte order mark: Windows PowerShell 5\.1 reads such a script in the ANSI code page`},
		{"script parameter", "& ((Get-Volume -FileSystemLabel MSILAB).DriveLetter + ':\\setup-thing.ps1') -AdminUsr 'x'", `setup-thing\.ps1 has no parameter -AdminUsr`},
		{"script mandatory parameter", "& 'D:\\setup-thing.ps1'", `no parameter set of setup-thing\.ps1 takes no arguments: mandatory -AdminUser not given`},
	}
	scripts := map[string]string{ // the script the last cases call, after them in file order
		"setup-thing.ps1": "param([Parameter(Mandatory = $true)] [string] $AdminUser)\nWrite-Output $AdminUser\n",
	}
	for i, c := range cases {
		scripts[fmt.Sprintf("case%02d.ps1", i)] = c.script + "\n"
	}
	files := pscheck.WriteScripts(t, scripts)
	out, code := pscheck.Check(t, root, files...)
	if code != 1 {
		t.Fatalf("check.js exited %d on broken scripts, want 1:\n%s", code, out)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := strings.Count(c.script, "\n") + 1
			want := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(files[i]) + `:` + fmt.Sprint(line) + `:\d+: (ERROR )?.*` + c.want)
			if !want.MatchString(out) {
				t.Errorf("no report matching %s:%d: %s in:\n%s", filepath.Base(files[i]), line, c.want, out)
			}
		})
	}
	if n, ok := pscheck.ParseCounts(out); !ok || n.Files != len(scripts) || n.Errors < len(cases) {
		t.Errorf("summary: %+v (ok %v), want %d files and at least %d errors:\n%s", n, ok, len(scripts), len(cases), out)
	}
}

// TestCheckAcceptsWhat51Runs: what Windows PowerShell 5.1 runs passes,
// so the failures above are the check's, not noise: prefixes, aliases,
// -Name:value, splats, pipeline input, positional arguments, common
// parameters, provider parameters, native programs, the op module's
// exported function after Import-Module, a script called by its file name,
// a module-qualified cmdlet name, non-ASCII text after a byte order mark.
func TestCheckAcceptsWhat51Runs(t *testing.T) {
	root := pscheck.ModuleRoot(t)
	files := pscheck.WriteScripts(t, map[string]string{
		"good.ps1": `Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
Get-ChildItem -LiteralPath C:\ -Rec -Force -ea SilentlyContinue | Where-Object { $_.Length -gt 0 } | Select-Object -First 1
gci C:\ | ? Name -eq 'Windows' | % { $_.FullName }
Join-Path $env:SystemRoot 'System32\msiexec.exe'
Remove-Item -LiteralPath C:\x -Recurse -Force -Confirm:$false -ErrorAction SilentlyContinue
$task = @{ TaskName = 'x'; TaskPath = '\msilab\' }
Register-ScheduledTask @task -Action $action -Principal $principal -Settings $settings
'{"a":1}' | ConvertFrom-Json
Set-Content -LiteralPath C:\x -Value 'y' -Encoding UTF8 -NoNewline
New-Item -Path 'WSMan:\localhost\Listener' -Transport HTTPS -Address '*' -CertificateThumbPrint $t -Force | Out-Null
Write-Host 'a' 'b' -ForegroundColor Green
& (Join-Path $env:SystemRoot 'System32\icacls.exe') C:\x /grant 'Users:(RX)'
icacls.exe C:\x
& $fn -OpArgs $a
1..3 | ForEach-Object { $_ }
Import-Module -Name $module -Force
Invoke-MsiLabBatch -Request $request
& ((Get-Volume -FileSystemLabel MSILAB).DriveLetter + ':\setup-thing.ps1') -AdminUser 'msilab'
function Get-X { param($OpArgs, [string] $Name, [switch] $Optional) }
Get-X $a 'name' -Optional:($b -ne '')
function Set-Y { [CmdletBinding()] param([Parameter(Mandatory = $true)] [string] $Path) }
Set-Y -Path C:\x -Verbose
'C:\x' | Set-Y
Microsoft.PowerShell.Management\Get-Item -LiteralPath C:\x
`,
		"setup-thing.ps1": "param([Parameter(Mandatory = $true)] [string] $AdminUser)\nWrite-Output $AdminUser\n",
		"bom.ps1":         "\uFEFFWrite-Output 'C:\\Users\\Jos\u00e9'\n",
	})
	out, code := pscheck.Check(t, root, files...)
	if code != 0 {
		t.Fatalf("check.js exited %d on scripts Windows PowerShell 5.1 runs:\n%s", code, out)
	}
	n, ok := pscheck.ParseCounts(out)
	if !ok || n.Errors != 0 || n.Scripts != 1 || n.Native != 1 || n.Dynamic != 2 || n.Functions < 4 || n.Cmdlets < 20 {
		t.Errorf("summary %+v (ok %v):\n%s", n, ok, out)
	}
	t.Log(strings.TrimSpace(out))
}
