# msilab op batch: reads a JSON request on stdin, writes one JSON response.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$request = [Console]::In.ReadToEnd() | ConvertFrom-Json
# No request (empty stdin): its own answer, not "module missing", which
# would have the client reinstall the module for nothing.
if ($null -eq $request -or $null -eq $request.PSObject.Properties['ops']) {
    [Console]::Out.Write('{"v":1,"error":"no request: stdin held no JSON batch request"}')
    exit 0
}
$module = Join-Path $env:ProgramData 'msilab\MsiLab.psm1'
if (-not (Test-Path -LiteralPath $module) -or
    (Get-FileHash -LiteralPath $module -Algorithm SHA256).Hash -ne $request.module_sha256) {
    [Console]::Out.Write('{"v":1,"module":"missing"}')
    exit 0
}
Import-Module -Name $module -Force
Invoke-MsiLabBatch -Request $request
