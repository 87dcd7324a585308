# msilab op batch: reads a JSON request on stdin, writes one JSON response.
# The module's bytes are read once, hashed, and those very bytes imported,
# so that nothing can replace the file between the check and the import.
# The module then checks the host folder before any op (host_dir).
# New-Module: https://learn.microsoft.com/powershell/module/microsoft.powershell.core/new-module?view=powershell-5.1
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$request = [Console]::In.ReadToEnd() | ConvertFrom-Json
$module = Join-Path $env:ProgramData 'msilab\MsiLab.psm1'
$bytes = $null
if ([System.IO.File]::Exists($module)) { $bytes = [System.IO.File]::ReadAllBytes($module) }
$hash = ''
if ($null -ne $bytes) { $hash = [System.BitConverter]::ToString([System.Security.Cryptography.SHA256]::Create().ComputeHash($bytes)).Replace('-', '') }
if ($hash -ne $request.module_sha256) {
    [Console]::Out.Write('{"v":1,"module":"missing"}')
    exit 0
}
$null = New-Module -Name MsiLab -ScriptBlock ([scriptblock]::Create([System.Text.Encoding]::ASCII.GetString($bytes)))
Invoke-MsiLabBatch -Request $request
