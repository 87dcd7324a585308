# msilab op batch: reads a JSON request on stdin, writes one JSON response.
# First, before reading or importing anything: Constrained Language Mode (a
# WDAC or AppLocker policy) and an execution policy set by Group Policy
# (which overrides -ExecutionPolicy Bypass) stop the module's import and its
# Add-Type. Either is answered as NotSupported, naming it; in Constrained
# Language Mode only core types' methods may be called, so that answer is
# written as plain output.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_language_modes?view=powershell-5.1
# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_execution_policies?view=powershell-5.1
$mode = [string]$ExecutionContext.SessionState.LanguageMode
if ($mode -ne 'FullLanguage') {
    '{"v":1,"error":{"code":"NotSupported","message":"PowerShell runs in ' + $mode + ' mode (a WDAC or AppLocker policy): the msilab module cannot be imported"}}'
    exit 0
}
# The module's bytes are read once, hashed, and those very bytes imported,
# so that nothing can replace the file between the check and the import.
# The module then checks the host folder before any op (host_dir).
# New-Module: https://learn.microsoft.com/powershell/module/microsoft.powershell.core/new-module?view=powershell-5.1
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# The policy Group Policy sets: MachinePolicy, else UserPolicy. AllSigned
# and Restricted stop the unsigned module; RemoteSigned lets a local file run.
foreach ($policy in @(Get-ExecutionPolicy -List)) {
    if (@('MachinePolicy', 'UserPolicy') -notcontains [string]$policy.Scope -or [string]$policy.ExecutionPolicy -eq 'Undefined') { continue }
    if (@('AllSigned', 'Restricted') -contains [string]$policy.ExecutionPolicy) {
        [Console]::Out.Write(('{{"v":1,"error":{{"code":"NotSupported","message":"execution policy {0} is set by Group Policy ({1}): it overrides -ExecutionPolicy Bypass and stops the unsigned msilab module"}}}}' -f $policy.ExecutionPolicy, $policy.Scope))
        exit 0
    }
    break
}
$request = [Console]::In.ReadToEnd() | ConvertFrom-Json
# No request (empty stdin): its own answer, not "module missing", which
# would have the client reinstall the module for nothing.
if ($null -eq $request -or $null -eq $request.PSObject.Properties['ops']) {
    [Console]::Out.Write('{"v":1,"no_request":"stdin held no JSON batch request"}')
    exit 0
}
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
