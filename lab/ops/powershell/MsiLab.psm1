# MsiLab.psm1: the msilab op catalog for real Windows hosts.
# Each op is a short function taking one argument object (parsed JSON) and
# returning a value that becomes the op's JSON result. Invoke-MsiLabBatch is
# the dispatcher called by the batch script (lab/ops/powershell/batch.ps1).
# The simulated host implements the same ops in Go (lab/sim).

Set-StrictMode -Version 2.0

# An op failure with a catalog error code (see lab/ops/protocol.go).
function New-MsiLabError {
    param([string] $Code, [string] $Message, [int] $Win32 = 0)
    $ex = New-Object System.Exception $Message
    $ex.Data['MsiLabCode'] = $Code
    $ex.Data['Win32'] = $Win32
    return $ex
}

# Maps an exception to a catalog error code.
function Get-MsiLabErrorCode {
    param($ErrorRecord)
    $ex = $ErrorRecord.Exception
    if ($ex.Data.Contains('MsiLabCode')) { return $ex.Data['MsiLabCode'] }
    switch ($ex.GetType().FullName) {
        'System.UnauthorizedAccessException' { return 'AccessDenied' }
        'System.IO.FileNotFoundException' { return 'NotFound' }
        'System.IO.DirectoryNotFoundException' { return 'NotFound' }
        'System.Management.Automation.ItemNotFoundException' { return 'NotFound' }
        'System.Security.SecurityException' { return 'AccessDenied' }
    }
    return 'Internal'
}

# host.info: OS, build, msi.dll version and the current token.
# Win32_OperatingSystem: https://learn.microsoft.com/windows/win32/cimwin32prov/win32-operatingsystem
# Elevation: WindowsPrincipal.IsInRole on the process token.
function Get-MsiLabHostInfo {
    param($OpArgs)
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $cv = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $msi = (Get-Item -LiteralPath (Join-Path $env:SystemRoot 'System32\msi.dll')).VersionInfo
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object System.Security.Principal.WindowsPrincipal $identity
    $admin = [System.Security.Principal.WindowsBuiltInRole]::Administrator
    [ordered]@{
        hostname     = $env:COMPUTERNAME
        product_name = [string]$cv.ProductName
        edition      = [string]$cv.EditionID
        build        = "$($os.Version).$($cv.UBR)"
        display_version = [string]$cv.DisplayVersion
        msi_version  = $msi.ProductVersion
        user         = $identity.Name
        user_sid     = $identity.User.Value
        elevated     = $principal.IsInRole($admin)
    }
}

# The catalog: op name -> function.
$script:MsiLabOps = @{
    'host.info' = 'Get-MsiLabHostInfo'
}

# Invoke-MsiLabBatch runs each op of a request and writes one JSON response.
function Invoke-MsiLabBatch {
    param([Parameter(Mandatory = $true)] $Request)
    $results = New-Object System.Collections.ArrayList
    foreach ($op in $Request.ops) {
        $name = [string]$op.op
        $opArgs = $null
        if ($op.PSObject.Properties['args']) { $opArgs = $op.args }
        $fn = $script:MsiLabOps[$name]
        if (-not $fn) {
            $err = [ordered]@{ code = 'UnknownOp'; message = "unknown op '$name'" }
            [void]$results.Add([ordered]@{ op = $name; ok = $false; error = $err })
            continue
        }
        try {
            $value = & $fn -OpArgs $opArgs
            [void]$results.Add([ordered]@{ op = $name; ok = $true; value = $value })
        } catch {
            $err = [ordered]@{
                code    = Get-MsiLabErrorCode $_
                message = $_.Exception.Message
                win32   = [int]$_.Exception.Data['Win32']
            }
            [void]$results.Add([ordered]@{ op = $name; ok = $false; error = $err })
        }
    }
    $response = [ordered]@{ v = 1; results = $results.ToArray() }
    [Console]::Out.Write(($response | ConvertTo-Json -Depth 20 -Compress))
}

Export-ModuleMember -Function Invoke-MsiLabBatch
