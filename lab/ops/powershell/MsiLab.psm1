# MsiLab.psm1: the msilab op catalog for real Windows hosts.
# Each op is a short function taking one argument object (parsed JSON) and
# returning a value that becomes the op's JSON result. Invoke-MsiLabBatch is
# the dispatcher called by the batch script (lab/ops/powershell/batch.ps1).
# The simulated host implements the same ops in Go (lab/sim).
#
# Written for Windows PowerShell 5.1 under Set-StrictMode 2.0. Arguments are
# data: they are validated and passed as values to cmdlets and .NET methods,
# never formatted into script or query text. This file stays ASCII: Windows
# PowerShell reads a script without a byte order mark in the ANSI code page.

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# stdout carries the JSON response: no warning or progress output.
$WarningPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
Add-Type -AssemblyName System.ServiceProcess

$script:MsiLabStartTypes = @('Boot', 'System', 'Automatic', 'Manual', 'Disabled')
$script:MsiLabNoExpand = [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames
$script:MsiLabUsersSid = 'S-1-5-32-545'
$script:MsiLabAdminsSid = 'S-1-5-32-544'
$script:MsiLabMutexHolderName = 'msilab mutex.hold'
$script:MsiLabContexts = @('admin-elevated', 'admin-filtered', 'standard-user', 'system')
# How each context obtains its token, the first the default (lab/ops/msi.go
# ContextLogons; checked by TestModuleContextLogons).
$script:MsiLabContextLogons = @{
    'admin-elevated' = @('winrm-network')
    'admin-filtered' = @('interactive-logon', 's4u-task')
    'standard-user'  = @('interactive-logon', 's4u-task')
    'system'         = @('system-task')
}
$script:MsiLabMsiexec = Join-Path $env:SystemRoot 'System32\msiexec.exe'
$script:MsiLabTaskPath = '\msilab\'

#region Errors

# An op failure with a catalog error code (see lab/ops/protocol.go).
# Exception.Data: https://learn.microsoft.com/dotnet/api/system.exception.data
function New-MsiLabError {
    param([string] $Code, [string] $Message, [int] $Win32 = 0)
    $ex = [System.Exception]::new($Message)
    $ex.Data['MsiLabCode'] = $Code
    $ex.Data['Win32'] = $Win32
    return $ex
}

# The Win32 error code behind an exception or its inner exceptions: ours,
# Win32Exception.NativeErrorCode, or the low word of a FACILITY_WIN32 HRESULT.
# https://learn.microsoft.com/windows/win32/com/structure-of-com-error-codes
function Get-MsiLabWin32Code {
    param([System.Exception] $Exception)
    for ($e = $Exception; $null -ne $e; $e = $e.InnerException) {
        if ($e.Data.Contains('Win32') -and [int]$e.Data['Win32'] -ne 0) { return [int]$e.Data['Win32'] }
        if ($e -is [System.ComponentModel.Win32Exception]) { return $e.NativeErrorCode }
        # PowerShell reads 0xFFFF0000 and 0x80070000 as Int32, as HResult is.
        if (($e.HResult -band 0xFFFF0000) -eq 0x80070000) { return $e.HResult -band 0xFFFF }
    }
    return 0
}

# The catalog error code of a Win32 error code ('' when it has none).
# https://learn.microsoft.com/windows/win32/debug/system-error-codes--0-499-
function Get-MsiLabCodeOfWin32 {
    param([int] $Win32)
    if ($Win32 -in 2, 3, 1060, 1332) { return 'NotFound' }       # file, path, service, account
    if ($Win32 -in 5, 1314) { return 'AccessDenied' }            # access, privilege not held
    if ($Win32 -in 32, 33, 80, 145, 183, 267, 1051, 1056, 1058, 1062) { return 'Conflict' }
    if ($Win32 -in 87, 123, 1337) { return 'InvalidArgs' }       # parameter, name, SID
    return ''
}

# Maps an error record to a catalog error code: ours, by Win32 code, or by
# the type of the exception or an inner one.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_try_catch_finally?view=powershell-5.1
function Get-MsiLabErrorCode {
    param($ErrorRecord)
    $ex = $ErrorRecord.Exception
    if ($ex.Data.Contains('MsiLabCode')) { return $ex.Data['MsiLabCode'] }
    $code = Get-MsiLabCodeOfWin32 (Get-MsiLabWin32Code $ex)
    if ($code -ne '') { return $code }
    for ($e = $ex; $null -ne $e; $e = $e.InnerException) {
        switch ($e.GetType().FullName) {
            'System.UnauthorizedAccessException' { return 'AccessDenied' }
            'System.Security.SecurityException' { return 'AccessDenied' }
            'System.Management.Automation.ItemNotFoundException' { return 'NotFound' }
            'Microsoft.PowerShell.Commands.InvalidPasswordException' { return 'InvalidArgs' }
        }
    }
    return 'Internal'
}

#endregion
#region Arguments

# Checks that args are a JSON object with no fields but the allowed ones, as
# the simulated host's strict decoding does.
# ConvertFrom-Json: https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/convertfrom-json?view=powershell-5.1
function Assert-MsiLabArgs {
    param($OpArgs, [string[]] $Allowed)
    if ($null -eq $OpArgs) { return }
    if ($OpArgs -isnot [System.Management.Automation.PSCustomObject]) {
        throw (New-MsiLabError 'InvalidArgs' 'args must be a JSON object')
    }
    foreach ($p in $OpArgs.PSObject.Properties) {
        if ($Allowed -notcontains $p.Name) {
            throw (New-MsiLabError 'InvalidArgs' "unknown argument $($p.Name)")
        }
    }
}

# The value of argument $Name ($null when absent), arrays kept whole.
# PSObject.Properties: https://learn.microsoft.com/dotnet/api/system.management.automation.psobject.properties
function Get-MsiLabArgValue {
    param($OpArgs, [string] $Name)
    if ($null -eq $OpArgs) { return $null }
    $p = $OpArgs.PSObject.Properties[$Name]
    if ($null -eq $p) { return $null }
    return , $p.Value
}

# A string argument. Absent, null or '' is "missing" unless -Optional (then
# '') or -AllowEmpty; another JSON type is InvalidArgs.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/convertfrom-json?view=powershell-5.1
function Get-MsiLabString {
    param($OpArgs, [string] $Name, [switch] $Optional, [switch] $AllowEmpty)
    $v = Get-MsiLabArgValue $OpArgs $Name
    if ($null -eq $v -and ($Optional -or $AllowEmpty)) { return '' }
    if ($null -eq $v) { throw (New-MsiLabError 'InvalidArgs' "missing argument $Name") }
    if ($v -isnot [string]) { throw (New-MsiLabError 'InvalidArgs' "argument $Name must be a string") }
    if ($v -eq '' -and -not ($Optional -or $AllowEmpty)) {
        throw (New-MsiLabError 'InvalidArgs' "missing argument $Name")
    }
    return $v
}

# An integer argument from $Min to $Max, as [decimal] (absent: $Default, or
# missing). ConvertFrom-Json reads JSON integers as Int32, Int64 or Decimal.
# https://learn.microsoft.com/dotnet/api/system.web.script.serialization.javascriptserializer
function Get-MsiLabNumber {
    param($OpArgs, [string] $Name, [decimal] $Min, [decimal] $Max, $Default = $null)
    $v = Get-MsiLabArgValue $OpArgs $Name
    if ($null -eq $v -and $null -ne $Default) { return [decimal]$Default }
    if ($null -eq $v) { throw (New-MsiLabError 'InvalidArgs' "missing argument $Name") }
    $isInt = $v -is [int] -or $v -is [long] -or ($v -is [decimal] -and $v -eq [decimal]::Truncate($v))
    if (-not $isInt -or $v -lt $Min -or $v -gt $Max) {
        throw (New-MsiLabError 'InvalidArgs' "argument $Name must be an integer from $Min to $Max")
    }
    return [decimal]$v
}

# A boolean argument (absent: $false).
# https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/convertfrom-json?view=powershell-5.1
function Get-MsiLabBool {
    param($OpArgs, [string] $Name)
    $v = Get-MsiLabArgValue $OpArgs $Name
    if ($null -eq $v) { return $false }
    if ($v -isnot [bool]) { throw (New-MsiLabError 'InvalidArgs' "argument $Name must be true or false") }
    return $v
}

# A list-of-strings argument as a List[string] (absent: empty).
# https://learn.microsoft.com/dotnet/api/system.collections.generic.list-1
function Get-MsiLabStrings {
    param($OpArgs, [string] $Name)
    $v = Get-MsiLabArgValue $OpArgs $Name
    $list = New-Object 'System.Collections.Generic.List[string]'
    if ($null -eq $v) { return , $list }
    if ($v -isnot [array]) { throw (New-MsiLabError 'InvalidArgs' "argument $Name must be a list of strings") }
    foreach ($s in $v) {
        if ($s -isnot [string]) { throw (New-MsiLabError 'InvalidArgs' "argument $Name must be a list of strings") }
        $list.Add($s)
    }
    return , $list
}

# A bytes argument: base64 as Go's encoding/json writes []byte (absent: none).
# Convert.FromBase64String: https://learn.microsoft.com/dotnet/api/system.convert.frombase64string
function Get-MsiLabBytes {
    param($OpArgs, [string] $Name)
    $s = Get-MsiLabString $OpArgs $Name -Optional
    try { $bytes = [System.Convert]::FromBase64String($s) }
    catch { throw (New-MsiLabError 'InvalidArgs' "argument $Name must be base64") }
    return , $bytes
}

# A file system path argument, absolute with a drive letter, normalized as
# the simulated host cleans paths: full, no trailing \, drive upper-case.
# Path.GetFullPath: https://learn.microsoft.com/dotnet/api/system.io.path.getfullpath
function Get-MsiLabPath {
    param($OpArgs, [string] $Name)
    $p = Get-MsiLabString $OpArgs $Name
    if ($p -notmatch '^[A-Za-z]:[\\/]') {
        throw (New-MsiLabError 'InvalidArgs' "argument $Name must be an absolute path like C:\dir, not $p" 123)
    }
    try { $full = [System.IO.Path]::GetFullPath($p) }
    catch { throw (New-MsiLabError 'InvalidArgs' "argument ${Name}: $($_.Exception.Message)" 123) }
    if ($full.Length -gt 3) { $full = $full.TrimEnd('\') }
    return $full.Substring(0, 1).ToUpperInvariant() + $full.Substring(1)
}

#endregion
#region host.info

# host.info: OS, build, msi.dll version and the current token.
# Win32_OperatingSystem: https://learn.microsoft.com/windows/win32/cimwin32prov/win32-operatingsystem
# FileVersionInfo: https://learn.microsoft.com/dotnet/api/system.diagnostics.fileversioninfo
# WindowsPrincipal.IsInRole: https://learn.microsoft.com/dotnet/api/system.security.principal.windowsprincipal.isinrole
function Get-MsiLabHostInfo {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @()
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $cv = Open-MsiLabRegKey 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $msi = (Get-Item -LiteralPath (Join-Path $env:SystemRoot 'System32\msi.dll')).VersionInfo
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = [System.Security.Principal.WindowsPrincipal]::new($identity)
    # DisplayVersion (20H2 and later) replaced ReleaseId.
    $release = [string]$cv.GetValue('DisplayVersion', $cv.GetValue('ReleaseId', ''))
    [ordered]@{
        hostname        = $env:COMPUTERNAME
        product_name    = [string]$cv.GetValue('ProductName', '')
        edition         = [string]$cv.GetValue('EditionID', '')
        build           = '{0}.{1}' -f $os.Version, $cv.GetValue('UBR', 0)
        display_version = $release
        msi_version     = '{0}.{1}.{2}.{3}' -f $msi.FileMajorPart, $msi.FileMinorPart, $msi.FileBuildPart, $msi.FilePrivatePart
        user            = $identity.Name
        user_sid        = $identity.User.Value
        elevated        = $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
    }
}

# A CIM datetime as RFC 3339 UTC ('' for none: Windows reports "no date"
# as 1601-01-01, the FILETIME epoch).
# DateTime.ToUniversalTime: https://learn.microsoft.com/dotnet/api/system.datetime.touniversaltime
function ConvertTo-MsiLabUtcText {
    param($When)
    if ($null -eq $When -or $When -isnot [datetime] -or $When.Year -le 1601) { return '' }
    return $When.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
}

# host.license: the Windows licence, what slmgr /dli shows: the
# SoftwareLicensingProduct of Windows' application ID that has a product key.
# The filter is constant text. LicenseStatus 0 to 6 are named as
# lab/ops/hostinfo.go LicenseStatuses lists them.
# SoftwareLicensingProduct: https://learn.microsoft.com/previous-versions/windows/desktop/sppwmi/softwarelicensingproduct
function Get-MsiLabHostLicense {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @()
    $filter = "ApplicationID = '55c92734-d682-4d71-983e-d6ec3f16059f' AND PartialProductKey IS NOT NULL"
    $product = Get-CimInstance -ClassName SoftwareLicensingProduct -Filter $filter | Select-Object -First 1
    if ($null -eq $product) {
        throw (New-MsiLabError 'NotFound' 'no Windows product with a product key (SoftwareLicensingProduct)')
    }
    $statuses = @('Unlicensed', 'Licensed', 'OOBGrace', 'OOTGrace', 'NonGenuineGrace', 'Notification', 'ExtendedGrace')
    $status = [int]$product.LicenseStatus
    $statusName = "$status"
    if ($status -ge 0 -and $status -lt $statuses.Count) { $statusName = $statuses[$status] }
    $description = [string]$product.Description
    [ordered]@{
        name           = [string]$product.Name
        description    = $description
        channel        = [string]$product.ProductKeyChannel
        status         = $statusName
        evaluation     = $description.Contains('TIMEBASED_EVAL')
        grace_minutes  = [long]$product.GracePeriodRemaining
        evaluation_end = ConvertTo-MsiLabUtcText $product.EvaluationEndDate
        read_at        = ConvertTo-MsiLabUtcText ([datetime]::UtcNow)
    }
}

# host.health: what msilab doctor checks before a run. The WSMan: drive
# needs an elevated session; 0 means no limit where WinRM allows it.
# $PSVersionTable: https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_automatic_variables?view=powershell-5.1
# Language modes: https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_language_modes?view=powershell-5.1
# DriveInfo: https://learn.microsoft.com/dotnet/api/system.io.driveinfo
# WinRM limits (MaxEnvelopeSizekb, Shell\MaxMemoryPerShellMB, Shell\MaxShellsPerUser):
# https://learn.microsoft.com/windows/win32/winrm/installation-and-configuration-for-windows-remote-management
function Get-MsiLabHostHealth {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @()
    $drive = [string]$env:SystemDrive
    $info = New-Object System.IO.DriveInfo ($drive)
    $winrm = [ordered]@{
        max_envelope_size_kb    = [int](Get-Item -LiteralPath 'WSMan:\localhost\MaxEnvelopeSizekb').Value
        max_memory_per_shell_mb = [int](Get-Item -LiteralPath 'WSMan:\localhost\Shell\MaxMemoryPerShellMB').Value
        max_shells_per_user     = [int](Get-Item -LiteralPath 'WSMan:\localhost\Shell\MaxShellsPerUser').Value
    }
    [ordered]@{
        ps_version    = $PSVersionTable.PSVersion.ToString()
        language_mode = [string]$ExecutionContext.SessionState.LanguageMode
        clock_utc     = [DateTime]::UtcNow.ToString('o')
        system_drive  = $drive
        free_bytes    = [uint64]$info.AvailableFreeSpace
        size_bytes    = [uint64]$info.TotalSize
        winrm         = $winrm
    }
}

#endregion
#region Registry

# Splits a registry path ("HKLM\SOFTWARE\x", HKCU, HKU, HKCR and the HKEY_
# forms, with or without ':') into its RegistryHive and subkey path.
# RegistryHive: https://learn.microsoft.com/dotnet/api/microsoft.win32.registryhive
function Split-MsiLabRegPath {
    param([string] $Path)
    $hives = @{
        HKLM = 'LocalMachine'; HKEY_LOCAL_MACHINE = 'LocalMachine'
        HKCU = 'CurrentUser'; HKEY_CURRENT_USER = 'CurrentUser'
        HKU = 'Users'; HKEY_USERS = 'Users'
        HKCR = 'ClassesRoot'; HKEY_CLASSES_ROOT = 'ClassesRoot'
    }
    $parts = $Path.Split([char[]]'\', 2)
    $root = $parts[0].TrimEnd(':')
    if (-not $hives.ContainsKey($root)) {
        throw (New-MsiLabError 'InvalidArgs' "registry path must start with HKLM, HKCU, HKU or HKCR: $Path")
    }
    $sub = ''
    if ($parts.Count -gt 1) { $sub = $parts[1] }
    return @{ hive = [Microsoft.Win32.RegistryHive]$hives[$root]; sub = $sub }
}

# A registry path argument, without a trailing \.
# https://learn.microsoft.com/windows/win32/sysinfo/structure-of-the-registry
function Get-MsiLabRegPathArg {
    param($OpArgs)
    $path = (Get-MsiLabString $OpArgs 'path').TrimEnd('\')
    [void](Split-MsiLabRegPath $path)
    return $path
}

# Opens a registry key in the 64-bit view ($null when it does not exist).
# RegistryKey.OpenBaseKey: https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.openbasekey
# RegistryKey.OpenSubKey: https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.opensubkey
function Open-MsiLabRegKey {
    param([string] $Path, [switch] $Writable)
    $p = Split-MsiLabRegPath $Path
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($p.hive, [Microsoft.Win32.RegistryView]::Registry64)
    if ($p.sub -eq '') { return $base }
    return $base.OpenSubKey($p.sub, [bool]$Writable)
}

# Fills a RegistryValue from a value's kind and data. DWORD and QWORD data
# come back signed and are reinterpreted as unsigned; other kinds are bytes.
# Registry value types: https://learn.microsoft.com/windows/win32/sysinfo/registry-value-types
# BitConverter: https://learn.microsoft.com/dotnet/api/system.bitconverter
function Set-MsiLabRegValueData {
    param($Out, [Microsoft.Win32.RegistryValueKind] $Kind, $Data)
    $Out.exists = $true
    switch ($Kind.ToString()) {
        'String' { $Out.type = 'REG_SZ'; $Out.string = [string]$Data }
        'ExpandString' { $Out.type = 'REG_EXPAND_SZ'; $Out.string = [string]$Data }
        'MultiString' { $Out.type = 'REG_MULTI_SZ'; $Out.strings = [string[]]$Data }
        'DWord' { $Out.type = 'REG_DWORD'; $Out.number = [System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes([int]$Data), 0) }
        'QWord' { $Out.type = 'REG_QWORD'; $Out.number = [System.BitConverter]::ToUInt64([System.BitConverter]::GetBytes([long]$Data), 0) }
        default {
            $Out.type = @{ Binary = 'REG_BINARY'; None = 'REG_NONE' }[$Kind.ToString()]
            if ($null -eq $Out.type) { $Out.type = 'REG_UNKNOWN' }
            if ($null -eq $Data) { $Data = [byte[]]@() }
            $Out.binary = [System.Convert]::ToBase64String([byte[]]$Data)
        }
    }
}

# A value of an open key as the catalog's RegistryValue; REG_EXPAND_SZ is
# read unexpanded. RegistryKey.GetValue: https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.getvalue
function Read-MsiLabRegValue {
    param($Key, [string] $Path, [string] $Name)
    $out = [ordered]@{ path = $Path; name = $Name; exists = $false }
    if ($null -eq $Key -or @($Key.GetValueNames()) -notcontains $Name) { return $out }
    Set-MsiLabRegValueData $out ($Key.GetValueKind($Name)) ($Key.GetValue($Name, $null, $script:MsiLabNoExpand))
    return $out
}

# A value as the catalog's RegistryValue (exists=$false when the key or the
# value is missing). https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.getvaluenames
function Get-MsiLabRegValue {
    param([string] $Path, [string] $Name)
    $key = Open-MsiLabRegKey $Path
    try { return (Read-MsiLabRegValue $key $Path $Name) }
    finally { if ($null -ne $key) { $key.Close() } }
}

# A key as the catalog's RegistryKey, $Depth levels of subkeys deep (-1:
# all; 0: subkeys named only). https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.getsubkeynames
function Read-MsiLabRegKey {
    param([string] $Path, [int] $Depth)
    $out = [ordered]@{ path = $Path; exists = $false }
    $key = Open-MsiLabRegKey $Path
    if ($null -eq $key) { return $out }
    try {
        $out.exists = $true
        $out.values = @(foreach ($n in $key.GetValueNames()) { Read-MsiLabRegValue $key $Path $n })
        $out.subkeys = @(foreach ($s in $key.GetSubKeyNames()) {
                if ($Depth -eq 0) { [ordered]@{ path = "$Path\$s"; exists = $true } }
                else { Read-MsiLabRegKey "$Path\$s" ($Depth - 1) }
            })
    } finally { $key.Close() }
    return $out
}

# The keys of a path that do not exist yet, outermost first, in the path's
# own spelling (undo deletes them in reverse).
# https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.opensubkey
function Get-MsiLabRegMissingKeys {
    param([string] $Path)
    $missing = New-Object 'System.Collections.Generic.List[string]'
    for ($p = $Path; $p.Contains('\'); $p = $p.Substring(0, $p.LastIndexOf('\'))) {
        $key = Open-MsiLabRegKey $p
        if ($null -ne $key) { $key.Close(); break }
        $missing.Insert(0, $p)
    }
    return , $missing
}

# The RegistryValueKind and .NET value that registry.set writes: DWORD and
# QWORD numbers are reinterpreted as the signed values SetValue takes.
# RegistryKey.SetValue: https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.setvalue
function Get-MsiLabRegSetData {
    param($OpArgs)
    $type = (Get-MsiLabString $OpArgs 'type').ToUpperInvariant()
    switch ($type) {
        'REG_SZ' { return @{ kind = 'String'; value = (Get-MsiLabString $OpArgs 'string' -Optional) } }
        'REG_EXPAND_SZ' { return @{ kind = 'ExpandString'; value = (Get-MsiLabString $OpArgs 'string' -Optional) } }
        'REG_MULTI_SZ' { return @{ kind = 'MultiString'; value = (Get-MsiLabStrings $OpArgs 'strings').ToArray() } }
        'REG_BINARY' { return @{ kind = 'Binary'; value = (Get-MsiLabBytes $OpArgs 'binary') } }
        'REG_DWORD' {
            $n = [uint32](Get-MsiLabNumber $OpArgs 'number' 0 ([decimal][uint32]::MaxValue) 0)
            return @{ kind = 'DWord'; value = [System.BitConverter]::ToInt32([System.BitConverter]::GetBytes($n), 0) }
        }
        'REG_QWORD' {
            $n = [uint64](Get-MsiLabNumber $OpArgs 'number' 0 ([decimal][uint64]::MaxValue) 0)
            return @{ kind = 'QWord'; value = [System.BitConverter]::ToInt64([System.BitConverter]::GetBytes($n), 0) }
        }
    }
    throw (New-MsiLabError 'InvalidArgs' "type must be REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD or REG_BINARY, not $type")
}

# registry.get: reads a value ("" names the key's default value).
# https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.getvaluekind
function Get-MsiLabRegistryValue {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path', 'name')
    $path = Get-MsiLabRegPathArg $OpArgs
    Get-MsiLabRegValue $path (Get-MsiLabString $OpArgs 'name' -Optional)
}

# registry.list: a key's values and its subkeys' names (one level).
# https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.getsubkeynames
function Get-MsiLabRegistryKey {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path')
    Read-MsiLabRegKey (Get-MsiLabRegPathArg $OpArgs) 0
}

# registry.set: writes a typed value, creating its key and missing parents.
# (RegistrySetArgs is RegistryValue, so "exists" is accepted and ignored.)
# RegistryKey.CreateSubKey: https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.createsubkey
function Set-MsiLabRegistryValue {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path', 'name', 'type', 'string', 'strings', 'number', 'binary')
    $path = Get-MsiLabRegPathArg $OpArgs
    $name = Get-MsiLabString $OpArgs 'name' -Optional
    $data = Get-MsiLabRegSetData $OpArgs
    $p = Split-MsiLabRegPath $path
    if ($p.sub -eq '') { throw (New-MsiLabError 'InvalidArgs' "a value needs a key below the hive: $path") }
    $before = Get-MsiLabRegValue $path $name
    $created = Get-MsiLabRegMissingKeys $path
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($p.hive, [Microsoft.Win32.RegistryView]::Registry64)
    $key = $base.CreateSubKey($p.sub, [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree)
    try { $key.SetValue($name, $data.value, [Microsoft.Win32.RegistryValueKind]$data.kind) }
    finally { $key.Close() }
    [ordered]@{ before = $before; after = (Get-MsiLabRegValue $path $name); key_created = $created.ToArray() }
}

# registry.delete_value: deletes a value; a missing one is already gone.
# RegistryKey.DeleteValue: https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.deletevalue
function Remove-MsiLabRegistryValue {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path', 'name')
    $path = Get-MsiLabRegPathArg $OpArgs
    $name = Get-MsiLabString $OpArgs 'name' -Optional
    $before = Get-MsiLabRegValue $path $name
    if ($before.exists) {
        $key = Open-MsiLabRegKey $path -Writable
        try { $key.DeleteValue($name) } finally { $key.Close() }
    }
    [ordered]@{ before = $before; after = (Get-MsiLabRegValue $path $name) }
}

# registry.delete_key: deletes a key and its subtree, returning the whole
# tree first; a missing key is already gone. DeleteSubKeyTree deletes
# subkey by subkey: one it may not delete stops it part way, so the error
# carries the whole tree as it was (the result's value), the undo data.
# RegistryKey.DeleteSubKeyTree: https://learn.microsoft.com/dotnet/api/microsoft.win32.registrykey.deletesubkeytree
function Remove-MsiLabRegistryKey {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path')
    $path = Get-MsiLabRegPathArg $OpArgs
    $i = $path.LastIndexOf('\')
    if ($i -lt 0) { throw (New-MsiLabError 'InvalidArgs' "will not delete a hive: $path") }
    $before = Read-MsiLabRegKey $path (-1)
    $out = [ordered]@{ before = $before }
    if ($before.exists) {
        $parent = Open-MsiLabRegKey ($path.Substring(0, $i)) -Writable
        try { $parent.DeleteSubKeyTree($path.Substring($i + 1)) }
        catch {
            $ex = New-MsiLabError (Get-MsiLabErrorCode $_) ("deleting $path stopped part way (the result's before holds the whole tree): " +
                $_.Exception.GetBaseException().Message) (Get-MsiLabWin32Code $_.Exception)
            $ex.Data['MsiLabValue'] = $out
            throw $ex
        } finally { $parent.Close() }
    }
    return $out
}

#endregion
#region Services

# A service name argument: it names a registry key, so no \ or /.
# https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-createservicew
function Get-MsiLabServiceName {
    param($OpArgs)
    $name = Get-MsiLabString $OpArgs 'name'
    if ($name.IndexOfAny([char[]]'\/') -ge 0 -or $name.Length -gt 256) {
        throw (New-MsiLabError 'InvalidArgs' "invalid service name: $name" 123)
    }
    return $name
}

# Reads one CIM instance by its key properties, without query text (a
# key-only client instance given to Get-CimInstance -InputObject); $null
# when there is none. https://learn.microsoft.com/powershell/module/cimcmdlets/get-ciminstance?view=powershell-5.1
function Get-MsiLabCimByKey {
    param([string] $ClassName, [hashtable] $Key)
    $ref = New-CimInstance -ClassName $ClassName -Namespace 'root/cimv2' -Property $Key -Key ([string[]]$Key.Keys) -ClientOnly
    try { return (Get-CimInstance -InputObject $ref -ErrorAction Stop) } catch { return $null }
}

# A service as the catalog's Service: configuration from its registry key,
# state and PID from the SCM (Win32_Service). No key: exists=$false.
# https://learn.microsoft.com/windows-hardware/drivers/install/hklm-system-currentcontrolset-services-registry-tree
# Win32_Service: https://learn.microsoft.com/windows/win32/cimwin32prov/win32-service
function Get-MsiLabServiceInfo {
    param([string] $Name)
    $out = [ordered]@{ name = $Name; exists = $false; start = 0 }
    $key = Open-MsiLabRegKey "HKLM\SYSTEM\CurrentControlSet\Services\$Name"
    if ($null -eq $key) { return $out }
    try {
        $out.exists = $true
        $out.display_name = [string]$key.GetValue('DisplayName', '', $script:MsiLabNoExpand)
        $out.start = [int]$key.GetValue('Start', 0)
        $out.image_path = [string]$key.GetValue('ImagePath', '', $script:MsiLabNoExpand)
        $out.object_name = [string]$key.GetValue('ObjectName', '')
        $out.dependencies = [string[]]$key.GetValue('DependOnService', [string[]]@())
        $desc = [string]$key.GetValue('Description', '', $script:MsiLabNoExpand)
        if ($desc -ne '') { $out.description = $desc }
        $fa = $key.GetValue('FailureActions', $null)
        if ($fa -is [byte[]] -and $fa.Length -gt 0) { $out.failure_actions = [System.Convert]::ToBase64String($fa) }
    } finally { $key.Close() }
    if ($out.start -ge 0 -and $out.start -lt 5) { $out.start_type = $script:MsiLabStartTypes[$out.start] }
    $svc = Get-MsiLabCimByKey 'Win32_Service' @{ Name = $Name }
    if ($null -ne $svc) {
        $out.state = ([string]$svc.State) -replace ' ', ''    # "Start Pending" -> StartPending
        if ($svc.ProcessId -gt 0) { $out.pid = [int]$svc.ProcessId }
    }
    return $out
}

# The state of a service that must exist (else NotFound, Win32 1060).
# https://learn.microsoft.com/windows/win32/debug/system-error-codes--1000-1299-
function Get-MsiLabExistingService {
    param([string] $Name)
    $svc = Get-MsiLabServiceInfo $Name
    if (-not $svc.exists) { throw (New-MsiLabError 'NotFound' "service $Name does not exist" 1060) }
    return $svc
}

# service.get: a service's configuration and state.
# https://learn.microsoft.com/windows/win32/services/service-configuration
function Get-MsiLabService {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    Get-MsiLabServiceInfo (Get-MsiLabServiceName $OpArgs)
}

# service.set_start: sets a start type. Set-Service -StartupType takes
# Automatic, Manual and Disabled; Boot and System (drivers only) go through
# sc.exe config, whose exit code is the Win32 error.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.management/set-service?view=powershell-5.1
# https://learn.microsoft.com/windows-server/administration/windows-commands/sc-config
function Set-MsiLabServiceStart {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name', 'start_type')
    $name = Get-MsiLabServiceName $OpArgs
    $arg = Get-MsiLabString $OpArgs 'start_type'
    $type = $script:MsiLabStartTypes | Where-Object { $_ -eq $arg } | Select-Object -First 1
    if ($null -eq $type) {
        throw (New-MsiLabError 'InvalidArgs' ('start_type must be one of {0}, not {1}' -f ($script:MsiLabStartTypes -join ', '), $arg))
    }
    $before = Get-MsiLabExistingService $name
    if ($type -in 'Automatic', 'Manual', 'Disabled') {
        Set-Service -InputObject ([System.ServiceProcess.ServiceController]::new($name)) -StartupType $type
    } else {
        $text = & (Join-Path $env:SystemRoot 'System32\sc.exe') config $name start= $type.ToLowerInvariant()
        if ($LASTEXITCODE -ne 0) {
            $code = Get-MsiLabCodeOfWin32 $LASTEXITCODE
            if ($code -eq '') { $code = 'Internal' }
            throw (New-MsiLabError $code "sc.exe config: $($text -join ' ')" $LASTEXITCODE)
        }
    }
    [ordered]@{ before = $before; after = (Get-MsiLabServiceInfo $name) }
}

# How long service.start and service.stop wait for Running or Stopped
# (lab/sim ServiceWait): Start-Service and Stop-Service would wait forever
# on a service stuck pending.
$script:MsiLabServiceWaitSeconds = 60

# Waits for a service to reach a state; a service still elsewhere (pending)
# after the wait is Conflict naming its state, Win32 1053
# (ERROR_SERVICE_REQUEST_TIMEOUT).
# ServiceController.WaitForStatus: https://learn.microsoft.com/dotnet/api/system.serviceprocess.servicecontroller.waitforstatus
function Wait-MsiLabServiceStatus {
    param([System.ServiceProcess.ServiceController] $Controller, [string] $Want, [string] $Name)
    $limit = [TimeSpan]::FromSeconds($script:MsiLabServiceWaitSeconds)
    try { $Controller.WaitForStatus([System.ServiceProcess.ServiceControllerStatus]$Want, $limit) }
    catch {
        $Controller.Refresh()
        throw (New-MsiLabError 'Conflict' ("service $Name did not reach $Want within $($script:MsiLabServiceWaitSeconds) s: it is " +
                [string]$Controller.Status) 1053)
    }
}

# service.start: starts a service and waits, a bounded time, for Running.
# A running service is left as it is. A disabled service fails with Win32
# 1058 (ERROR_SERVICE_DISABLED), reported as Conflict.
# ServiceController.Start: https://learn.microsoft.com/dotnet/api/system.serviceprocess.servicecontroller.start
function Start-MsiLabService {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    $name = Get-MsiLabServiceName $OpArgs
    $before = Get-MsiLabExistingService $name
    $sc = [System.ServiceProcess.ServiceController]::new($name)
    if ($sc.Status -ne 'Running') {
        if ($sc.Status -eq 'Stopped') { $sc.Start() }
        Wait-MsiLabServiceStatus $sc 'Running' $name
    }
    [ordered]@{ before = $before; after = (Get-MsiLabServiceInfo $name) }
}

# service.stop: stops a service and waits, a bounded time, for Stopped. A
# stopped service is left as it is. Running dependents are not stopped
# with it (ServiceController.Stop would): Conflict, Win32 1051.
# ServiceController.Stop: https://learn.microsoft.com/dotnet/api/system.serviceprocess.servicecontroller.stop
# ServiceController.DependentServices: https://learn.microsoft.com/dotnet/api/system.serviceprocess.servicecontroller.dependentservices
function Stop-MsiLabService {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    $name = Get-MsiLabServiceName $OpArgs
    $before = Get-MsiLabExistingService $name
    $sc = [System.ServiceProcess.ServiceController]::new($name)
    $running = @($sc.DependentServices | Where-Object { $_.Status -ne 'Stopped' })
    if ($running.Count -gt 0) {
        $names = ($running | ForEach-Object { $_.ServiceName }) -join ', '
        throw (New-MsiLabError 'Conflict' "service $name has running dependents: $names" 1051)
    }
    if ($sc.Status -ne 'Stopped') {
        if ($sc.Status -eq 'Running') { $sc.Stop() }
        Wait-MsiLabServiceStatus $sc 'Stopped' $name
    }
    [ordered]@{ before = $before; after = (Get-MsiLabServiceInfo $name) }
}

# service.configure: writes a service's whole recorded configuration
# through the SCM (ChangeServiceConfigW, ChangeServiceConfig2W), as a
# revert puts back what `msiexec /regserver` wrote its own way: start type,
# image path, account, display name, dependencies, description and failure
# actions (an empty one removes it). The service's registry key alone would
# not do: the SCM keeps the configuration in memory until a restart.
# ChangeServiceConfigW: https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-changeserviceconfigw
# ChangeServiceConfig2W: https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-changeserviceconfig2w
function Set-MsiLabServiceConfig {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name', 'start_type', 'display_name', 'image_path', 'object_name', 'dependencies', 'description', 'failure_actions')
    $name = Get-MsiLabServiceName $OpArgs
    $arg = Get-MsiLabString $OpArgs 'start_type'
    $start = [array]::IndexOf([string[]]$script:MsiLabStartTypes, $arg)
    if ($start -lt 0) {
        throw (New-MsiLabError 'InvalidArgs' ('start_type must be one of {0}, not {1}' -f ($script:MsiLabStartTypes -join ', '), $arg))
    }
    $display = Get-MsiLabString $OpArgs 'display_name'
    $image = Get-MsiLabString $OpArgs 'image_path'
    $account = Get-MsiLabString $OpArgs 'object_name'
    $deps = Get-MsiLabStrings $OpArgs 'dependencies'
    $desc = Get-MsiLabString $OpArgs 'description' -Optional
    $fa = Get-MsiLabBytes $OpArgs 'failure_actions'
    if ($fa.Length -gt 0 -and ($fa.Length -lt 20 -or $fa.Length -lt 20 + 8 * [BitConverter]::ToUInt32($fa, 12))) {
        throw (New-MsiLabError 'InvalidArgs' 'failure_actions holds fewer actions than its header counts')
    }
    $before = Get-MsiLabExistingService $name
    if ($fa.Length -eq 0 -and -not $before.Contains('failure_actions')) { $fa = $null }    # none recorded, none now
    elseif ($fa.Length -eq 0) { $fa = [byte[]]::new(20) }                                   # no actions: clears them
    Import-MsiLabNative
    [MsiLab.ServiceConfig]::Configure($name, $start, $image, $account, $display, $deps.ToArray(), $desc, $fa)
    [ordered]@{ before = $before; after = (Get-MsiLabServiceInfo $name) }
}

#endregion
#region ACLs

# The ACE lines icacls prints for a path, without the path on the first
# line, blank lines and the closing summary line.
# https://learn.microsoft.com/windows-server/administration/windows-commands/icacls
function Get-MsiLabIcacls {
    param([string] $Path)
    $lines = @(& (Join-Path $env:SystemRoot 'System32\icacls.exe') $Path)
    $aces = New-Object 'System.Collections.Generic.List[string]'
    if ($LASTEXITCODE -ne 0) { return , $aces.ToArray() }
    foreach ($line in $lines) {
        $l = ([string]$line).Trim()
        if ($l.StartsWith($Path + ' ')) { $l = $l.Substring($Path.Length + 1).Trim() }
        if ($l -ne '') { $aces.Add($l) }
    }
    if ($aces.Count -gt 0) { $aces.RemoveAt($aces.Count - 1) }    # "Successfully processed 1 files; ..."
    return , $aces.ToArray()
}

# A file or folder's security descriptor as the catalog's ACL, read as it
# is stored (GetNamedSecurityInfoW): Get-Acl would hand back .NET's
# canonical form, its explicit ACEs sorted and merged (dotnet/runtime
# System.Security.AccessControl ACL.cs, CommonAcl), which a revert would
# then write. A missing path is exists=$false; a denied read is an error.
# GetNamedSecurityInfoW: https://learn.microsoft.com/windows/win32/api/aclapi/nf-aclapi-getnamedsecurityinfow
# ConvertSecurityDescriptorToStringSecurityDescriptorW: https://learn.microsoft.com/windows/win32/api/sddl/nf-sddl-convertsecuritydescriptortostringsecuritydescriptorw
function Get-MsiLabAcl {
    param([string] $Path)
    $out = [ordered]@{ path = $Path; exists = $false; protected = $false }
    Import-MsiLabNative
    try { $sd = [MsiLab.Sddl]::Read($Path) }
    catch {
        if ((Get-MsiLabWin32Code $_.Exception) -in 2, 3) { return $out }
        throw
    }
    $out.exists = $true
    $out.sddl = $sd.Sddl
    if ($null -ne $sd.Owner) { $out.owner = $sd.Owner }
    $out.protected = $sd.Protected
    $out.icacls = Get-MsiLabIcacls $Path
    return $out
}

# The sections acl.set writes (default: dacl), checked against the parts
# the SDDL holds: a section the SDDL lacks (no O: for owner) is refused,
# never written as a NULL owner, group or DACL.
# https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format
function Get-MsiLabAclSections {
    param($OpArgs, $Parts)
    $names = Get-MsiLabStrings $OpArgs 'sections'
    if ($names.Count -eq 0) { $names.Add('dacl') }
    $out = @{ owner = $false; group = $false; dacl = $false }
    foreach ($n in $names) {
        if (-not $out.ContainsKey($n)) {
            throw (New-MsiLabError 'InvalidArgs' "sections are owner, group and dacl, not $n")
        }
        $out[$n] = $true
    }
    if (($out.owner -and -not $Parts.HasOwner) -or ($out.group -and -not $Parts.HasGroup) -or ($out.dacl -and -not $Parts.HasDacl)) {
        throw (New-MsiLabError 'InvalidArgs' 'sddl has no O:, G: or D: for a section it is to set')
    }
    return $out
}

# acl.get: a file or folder's security descriptor.
# https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format
function Get-MsiLabAclOp {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path')
    Get-MsiLabAcl (Get-MsiLabPath $OpArgs 'path')
}

# acl.set: applies sections of an SDDL security descriptor exactly as
# written, through SetNamedSecurityInfoW: the explicit ACEs in their order
# (Set-Acl would write .NET's sorted, merged form), the DACL protected or
# not as its P flag says, the SACL untouched. Windows then re-inherits an
# unprotected DACL's inherited ACEs from the parent and propagates the
# inheritable ACEs to every child folder and file that inherits, as it does
# for any DACL change. Setting the owner enables SeRestorePrivilege (an
# administrator may set any owner).
# SetNamedSecurityInfoW: https://learn.microsoft.com/windows/win32/api/aclapi/nf-aclapi-setnamedsecurityinfow
# ConvertStringSecurityDescriptorToSecurityDescriptorW: https://learn.microsoft.com/windows/win32/api/sddl/nf-sddl-convertstringsecuritydescriptortosecuritydescriptorw
function Set-MsiLabAcl {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path', 'sddl', 'sections')
    $path = Get-MsiLabPath $OpArgs 'path'
    $sddl = Get-MsiLabString $OpArgs 'sddl'
    Import-MsiLabNative
    try { $parts = [MsiLab.Sddl]::Parts($sddl) }
    catch { throw (New-MsiLabError 'InvalidArgs' "sddl: $($_.Exception.Message)" 1337) }
    $sections = Get-MsiLabAclSections $OpArgs $parts
    $before = Get-MsiLabAcl $path
    if (-not $before.exists) { throw (New-MsiLabError 'NotFound' "$path does not exist" 2) }
    if ($sections.owner) {
        try { [MsiLab.Native]::EnablePrivilege('SeRestorePrivilege') } catch { }    # not held: WRITE_OWNER decides
    }
    [MsiLab.Sddl]::Apply($path, $sddl, $sections.owner, $sections.group, $sections.dacl)
    # The change is made; a DACL that denies us READ_CONTROL hides the
    # result. The read fails with Win32 5 whatever exception carries it.
    $after = [ordered]@{ path = $path; exists = $true }
    try { $after = Get-MsiLabAcl $path }
    catch { if ((Get-MsiLabErrorCode $_) -ne 'AccessDenied') { throw } }
    [ordered]@{ before = $before; after = $after }
}

#endregion
#region Paths

# A file or folder item as the catalog's PathInfo (attributes: ReadOnly,
# Hidden, System). FileAttributes: https://learn.microsoft.com/dotnet/api/system.io.fileattributes
function ConvertTo-MsiLabPathInfo {
    param($Item, [string] $Path)
    $isDir = $Item -is [System.IO.DirectoryInfo]
    $out = [ordered]@{ path = $Path; exists = $true; parent_exists = $true; is_dir = $isDir; size = 0 }
    if (-not $isDir) { $out.size = $Item.Length }
    $attrs = @(foreach ($a in 'ReadOnly', 'Hidden', 'System') {
            if ($Item.Attributes -band [System.IO.FileAttributes]$a) { $a }
        })
    $out.attributes = $attrs
    return $out
}

# A path as the catalog's PathInfo. For a missing path parent_exists tells
# "file not found" (Win32 2) from "path not found" (Win32 3). Only those two
# are "missing": File.GetAttributes throws for a path that exists but may
# not be read (UnauthorizedAccessException, Win32 5), which is an error,
# AccessDenied (Get-Item -ErrorAction SilentlyContinue would hide it).
# File.GetAttributes: https://learn.microsoft.com/dotnet/api/system.io.file.getattributes
function Get-MsiLabPathInfo {
    param([string] $Path)
    try { $attrs = [System.IO.File]::GetAttributes($Path) }
    catch {
        if ((Get-MsiLabWin32Code $_.Exception) -notin 2, 3) { throw }
        $attrs = $null
    }
    if ($null -ne $attrs) {
        $item = [System.IO.FileInfo]::new($Path)
        if ($attrs -band [System.IO.FileAttributes]::Directory) { $item = [System.IO.DirectoryInfo]::new($Path) }
        return (ConvertTo-MsiLabPathInfo $item $Path)
    }
    $out = [ordered]@{ path = $Path; exists = $false; parent_exists = $true }
    $parent = [System.IO.Path]::GetDirectoryName($Path)
    if ($null -ne $parent) { $out.parent_exists = [System.IO.Directory]::Exists($parent) }
    return $out
}

# path.stat: whether a path exists, its type, size and attributes.
# https://learn.microsoft.com/dotnet/api/system.io.filesysteminfo
function Get-MsiLabPathStat {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path')
    Get-MsiLabPathInfo (Get-MsiLabPath $OpArgs 'path')
}

# path.list: a folder's entries, hidden and system ones included.
# Get-ChildItem: https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-childitem?view=powershell-5.1
function Get-MsiLabPathList {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path')
    $path = Get-MsiLabPath $OpArgs 'path'
    if (-not [System.IO.Directory]::Exists($path)) {
        if ([System.IO.File]::Exists($path)) { throw (New-MsiLabError 'Conflict' "$path is not a folder" 267) }
        throw (New-MsiLabError 'NotFound' "$path does not exist" 3)
    }
    $entries = @(Get-ChildItem -LiteralPath $path -Force | ForEach-Object { ConvertTo-MsiLabPathInfo $_ $_.FullName })
    [ordered]@{ path = $path; entries = $entries }
}

# Creates a folder and its missing parents, listing them outermost first.
# Directory.CreateDirectory: https://learn.microsoft.com/dotnet/api/system.io.directory.createdirectory
function New-MsiLabDirectory {
    param([string] $Path, [byte[]] $Content)
    if ($null -ne $Content -and $Content.Length -gt 0) { throw (New-MsiLabError 'InvalidArgs' 'a directory has no content') }
    if ([System.IO.File]::Exists($Path)) { throw (New-MsiLabError 'Conflict' "$Path is a file" 183) }
    $created = New-Object 'System.Collections.Generic.List[string]'
    for ($p = $Path; $null -ne $p -and -not [System.IO.Directory]::Exists($p); $p = [System.IO.Path]::GetDirectoryName($p)) {
        $created.Insert(0, $p)
    }
    [void][System.IO.Directory]::CreateDirectory($Path)
    [ordered]@{ created = $created.ToArray() }
}

# Writes a file (its folder must exist; an existing file is replaced).
# File.WriteAllBytes: https://learn.microsoft.com/dotnet/api/system.io.file.writeallbytes
function New-MsiLabFile {
    param([string] $Path, [byte[]] $Content)
    if ([System.IO.Directory]::Exists($Path)) { throw (New-MsiLabError 'Conflict' "$Path is a directory" 5) }
    if ($null -eq $Content) { $Content = [byte[]]@() }
    $existed = [System.IO.File]::Exists($Path)
    $old = $null
    if ($existed) { $old = [System.Convert]::ToBase64String([System.IO.File]::ReadAllBytes($Path)) }
    [System.IO.File]::WriteAllBytes($Path, $Content)
    $created = @()
    if (-not $existed) { $created = @($Path) }
    [ordered]@{ created = $created; replaced = $existed; replaced_content = $old }
}

# path.create: creates a folder (type "directory", with missing parents) or
# a file (type "file", with content) and lists what it created.
# https://learn.microsoft.com/dotnet/api/system.io.directory.createdirectory
function New-MsiLabPath {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path', 'type', 'content')
    $path = Get-MsiLabPath $OpArgs 'path'
    $type = Get-MsiLabString $OpArgs 'type'
    $content = Get-MsiLabBytes $OpArgs 'content'
    if ($type -ceq 'directory') { return (New-MsiLabDirectory $path $content) }
    if ($type -ceq 'file') { return (New-MsiLabFile $path $content) }
    throw (New-MsiLabError 'InvalidArgs' "type must be `"directory`" or `"file`", not $type")
}

# The processes holding a file, or a file below a folder, open, as Restart
# Manager names them (at most 1000 files are asked about); none when it
# cannot tell.
# RmGetList: https://learn.microsoft.com/windows/win32/api/restartmanager/nf-restartmanager-rmgetlist
function Get-MsiLabPathHolders {
    param([string] $Path)
    try {
        $files = @($Path)
        if ([System.IO.Directory]::Exists($Path)) {
            $files = @([System.IO.Directory]::EnumerateFiles($Path, '*', [System.IO.SearchOption]::AllDirectories) | Select-Object -First 1000)
        }
        if ($files.Count -eq 0) { return @() }
        Import-MsiLabNative
        return @([MsiLab.Holders]::Of([string[]]$files))
    } catch { return @() }
}

# path.move: moves or renames a file or folder; To must not exist. A folder
# with a file open inside cannot be renamed (MoveFileEx: access denied,
# docs/evidence.md#E-installer-handles): the move is tried 5 times over
# about 4 s (a service that was just stopped may still be closing), then
# reported as Conflict naming the holders, when Restart Manager finds any.
# Directory.Move: https://learn.microsoft.com/dotnet/api/system.io.directory.move
# File.Move: https://learn.microsoft.com/dotnet/api/system.io.file.move
function Move-MsiLabPath {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('from', 'to')
    $from = Get-MsiLabPath $OpArgs 'from'
    $to = Get-MsiLabPath $OpArgs 'to'
    if ([System.IO.File]::Exists($to) -or [System.IO.Directory]::Exists($to)) {
        throw (New-MsiLabError 'Conflict' "$to already exists" 183)
    }
    $isDir = [System.IO.Directory]::Exists($from)
    if (-not $isDir -and -not [System.IO.File]::Exists($from)) { throw (New-MsiLabError 'NotFound' "$from does not exist" 2) }
    for ($attempt = 1; ; $attempt++) {
        try {
            if ($isDir) { [System.IO.Directory]::Move($from, $to) } else { [System.IO.File]::Move($from, $to) }
            break
        } catch {
            $win32 = Get-MsiLabWin32Code $_.Exception
            if ($win32 -notin 5, 32) { throw }
            if ($attempt -lt 5) { Start-Sleep -Milliseconds (200 * $attempt); continue }
            $holders = @(Get-MsiLabPathHolders $from)
            if ($holders.Count -eq 0) { throw }
            throw (New-MsiLabError 'Conflict' "$from is held open by $($holders -join ', ')" $win32)
        }
    }
    [ordered]@{ from = $from; to = $to }
}

# path.remove: removes a file or an empty folder (no -Recurse: a folder with
# entries is Conflict, Win32 145), returning its PathInfo, SDDL and a file's
# content first; a missing path is already gone. With marker (a bare file
# name), only a folder holding that file and nothing else is removed, the
# marker first; a folder without it is kept (not the one msilab created).
# Remove-Item: https://learn.microsoft.com/powershell/module/microsoft.powershell.management/remove-item?view=powershell-5.1
function Remove-MsiLabPath {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path', 'marker')
    $path = Get-MsiLabPath $OpArgs 'path'
    $marker = Get-MsiLabString $OpArgs 'marker' -Optional
    if ($marker -ne '' -and ($marker -notmatch '^[A-Za-z0-9._-]{1,64}$' -or $marker.Trim('.') -eq '')) {
        throw (New-MsiLabError 'InvalidArgs' "marker must be a bare file name (letters, digits, '.', '-', '_'), not $marker")
    }
    $out = [ordered]@{ before = (Get-MsiLabPathInfo $path) }
    if (-not $out.before.exists) { return $out }
    $out.sddl = (Get-MsiLabAcl $path).sddl
    if ($marker -ne '') {
        $markerPath = Join-Path $path $marker
        if (-not $out.before.is_dir -or -not [System.IO.File]::Exists($markerPath)) {
            $out.kept = "no $marker in it: not the folder msilab created"
            return $out
        }
        if (@(Get-ChildItem -LiteralPath $path -Force | Select-Object -First 2).Count -gt 1) {
            throw (New-MsiLabError 'Conflict' "$path is not empty" 145)
        }
        Remove-Item -LiteralPath $markerPath -Force
    }
    if ($out.before.is_dir) {
        if (@(Get-ChildItem -LiteralPath $path -Force | Select-Object -First 1).Count -gt 0) {
            throw (New-MsiLabError 'Conflict' "$path is not empty" 145)
        }
    } else {
        $out.content = [System.Convert]::ToBase64String([System.IO.File]::ReadAllBytes($path))
    }
    Remove-Item -LiteralPath $path -Force
    return $out
}

# path.set_attributes: sets which of ReadOnly, Hidden and System a file or
# folder has, keeping its other attributes (Archive, Directory, ...).
# FileSystemInfo.Attributes: https://learn.microsoft.com/dotnet/api/system.io.filesysteminfo.attributes
# FileAttributes: https://learn.microsoft.com/dotnet/api/system.io.fileattributes
function Set-MsiLabPathAttributes {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path', 'attributes')
    $path = Get-MsiLabPath $OpArgs 'path'
    $settable = [int][System.IO.FileAttributes]'ReadOnly, Hidden, System'
    $want = 0
    foreach ($name in (Get-MsiLabStrings $OpArgs 'attributes')) {
        if (@('ReadOnly', 'Hidden', 'System') -cnotcontains $name) {
            throw (New-MsiLabError 'InvalidArgs' "attributes are ReadOnly, Hidden and System, not $name")
        }
        $want = $want -bor [int][System.IO.FileAttributes]$name
    }
    $item = Get-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
    if ($null -eq $item) { throw (New-MsiLabError 'NotFound' "$path does not exist" 2) }
    $before = ConvertTo-MsiLabPathInfo $item $path
    $keep = [int]$item.Attributes -band (-bnot $settable)
    $item.Attributes = [System.IO.FileAttributes]($keep -bor $want)
    [ordered]@{ before = $before; after = (Get-MsiLabPathInfo $path) }
}

# path.hash: a file's size and SHA-256 in uppercase hex without dashes, as
# Get-FileHash prints it (which hashes with HashAlgorithm.ComputeHash and
# BitConverter.ToString). Hashed here rather than by Get-FileHash so that a
# denied or locked file keeps its exception type (AccessDenied, Conflict).
# A missing file is exists=$false; a folder is Conflict.
# Get-FileHash: https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/get-filehash?view=powershell-5.1
# HashAlgorithm.ComputeHash: https://learn.microsoft.com/dotnet/api/system.security.cryptography.hashalgorithm.computehash
# BitConverter.ToString: https://learn.microsoft.com/dotnet/api/system.bitconverter.tostring
function Get-MsiLabPathHash {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('path')
    $path = Get-MsiLabPath $OpArgs 'path'
    if ([System.IO.Directory]::Exists($path)) { throw (New-MsiLabError 'Conflict' "$path is a directory" 5) }
    $out = [ordered]@{ path = $path; exists = [System.IO.File]::Exists($path) }
    if (-not $out.exists) { return $out }
    $stream = [System.IO.File]::OpenRead($path)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        $out.size = $stream.Length
        $out.sha256 = [System.BitConverter]::ToString($sha.ComputeHash($stream)).Replace('-', '')
    } finally { $sha.Dispose(); $stream.Dispose() }
    return $out
}

#endregion
#region Host folder

# msilab's host folder, C:\ProgramData\msilab (ops.HostDir), must be a
# folder of its own (not a reparse point: a junction or a symbolic link
# would send msilab's files elsewhere), owned by Administrators, with a
# protected DACL that grants what ops.HostDirSDDL grants: compared by
# meaning, the rights allowed and denied to each trustee on the folder, its
# subfolders and files and further down, generic rights mapped, however the
# entries are spelled or ordered. C:\ProgramData's own ACL lets every user
# create files and folders below it (docs/evidence.md#E-programdata-acl).
# Every batch checks it first (Invoke-MsiLabBatch); the session checks it
# before each upload (ops.HostDirScript, create_only).
# FileSystemAccessRule: https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemaccessrule
# Generic rights of files: https://learn.microsoft.com/windows/win32/fileio/file-security-and-access-rights
# Reparse points: https://learn.microsoft.com/windows/win32/fileio/reparse-points
$script:MsiLabHostDirSddl = 'O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)'
$script:MsiLabHostDirSections = [System.Security.AccessControl.AccessControlSections]'Owner, Access'

# What a folder's explicit ACEs allow and deny, by trustee and scope: a
# table of 'SID on scope' -> 'allow 0x.. deny 0x..'.
function Get-MsiLabHostDirGrants {
    param($Security)
    $sums = @{}
    foreach ($rule in $Security.GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier])) {
        $mask = [long][int]$rule.FileSystemRights
        if ($mask -lt 0) { $mask += 4294967296 }
        if ($mask -band 2147483648) { $mask = $mask -bor 0x120089 }
        if ($mask -band 1073741824) { $mask = $mask -bor 0x120116 }
        if ($mask -band 536870912) { $mask = $mask -bor 0x1200a0 }
        if ($mask -band 268435456) { $mask = $mask -bor 0x1f01ff }
        $mask = $mask -band 0x1f01ff
        $ci = ([int]$rule.InheritanceFlags -band 1) -ne 0
        $oi = ([int]$rule.InheritanceFlags -band 2) -ne 0
        $np = ([int]$rule.PropagationFlags -band 1) -ne 0
        $io = ([int]$rule.PropagationFlags -band 2) -ne 0
        $scopes = @{ 'the folder' = -not $io; 'its subfolders' = $ci; 'its files' = $oi; 'folders further down' = ($ci -and -not $np); 'files further down' = ($oi -and -not $np) }
        foreach ($scope in $scopes.Keys) {
            if (-not $scopes[$scope]) { continue }
            $key = $rule.IdentityReference.Value + ' on ' + $scope
            if (-not $sums.ContainsKey($key)) { $sums[$key] = @(0, 0) }
            if ([string]$rule.AccessControlType -eq 'Deny') { $sums[$key][1] = $sums[$key][1] -bor $mask } else { $sums[$key][0] = $sums[$key][0] -bor $mask }
        }
    }
    $grants = @{}
    foreach ($key in $sums.Keys) {
        if ($sums[$key][0] -ne 0 -or $sums[$key][1] -ne 0) { $grants[$key] = 'allow 0x{0:x} deny 0x{1:x}' -f $sums[$key][0], $sums[$key][1] }
    }
    return $grants
}

# What is wrong with the host folder: '' when it is right, 'missing' when
# it does not exist, else the problem.
function Get-MsiLabHostDirProblem {
    param([string] $Path)
    if (-not [System.IO.Directory]::Exists($Path)) {
        if ([System.IO.File]::Exists($Path)) { return "$Path is a file, not a folder" }
        return 'missing'
    }
    if (([int][System.IO.File]::GetAttributes($Path) -band 0x400) -ne 0) {
        return "$Path is a reparse point (a junction or a symbolic link), not a folder of its own"
    }
    $have = [System.IO.Directory]::GetAccessControl($Path, $script:MsiLabHostDirSections)
    $want = New-Object System.Security.AccessControl.DirectorySecurity
    $want.SetSecurityDescriptorSddlForm($script:MsiLabHostDirSddl, $script:MsiLabHostDirSections)
    $sddl = $have.GetSecurityDescriptorSddlForm($script:MsiLabHostDirSections)
    $owner = $have.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    $wantOwner = $want.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    if ($owner -ne $wantOwner) { return "$Path is owned by $owner, not by $wantOwner (it has $sddl)" }
    if (-not $have.AreAccessRulesProtected) { return "$Path inherits the ACL of its parent, which lets every user create files (it has $sddl)" }
    if (-not $have.AreAccessRulesCanonical) { return "$Path has a DACL out of canonical order (it has $sddl)" }
    $h = Get-MsiLabHostDirGrants $have
    $w = Get-MsiLabHostDirGrants $want
    foreach ($key in (@($h.Keys) + @($w.Keys) | Sort-Object -Unique)) {
        if ($h[$key] -ne $w[$key]) { return "$Path grants $key $($h[$key]) where msilab grants $($w[$key]) (it has $sddl)" }
    }
    return ''
}

#endregion
#region Users

# A local user name argument ($Field; absent or '' is $Default when one is
# given): not empty, none of \/"[]:|<>+=;,?*@, at most 20 characters.
# https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2003/cc783323(v=ws.10)
function Get-MsiLabUserName {
    param($OpArgs, [string] $Field = 'name', [string] $Default = '')
    $name = Get-MsiLabString $OpArgs $Field -Optional:($Default -ne '')
    if ($name -eq '') { $name = $Default }
    if ($name.IndexOfAny([char[]]'\/"[]:|<>+=;,?*@') -ge 0 -or $name.Length -gt 20 -or $name.Trim('. ') -eq '') {
        throw (New-MsiLabError 'InvalidArgs' "invalid user name: $name" 123)
    }
    return $name
}

# The local user of a name, or $null (compared as a string, not as the
# wildcard pattern Get-LocalUser -Name takes).
# https://learn.microsoft.com/powershell/module/microsoft.powershell.localaccounts/get-localuser?view=powershell-5.1
function Find-MsiLabLocalUser {
    param([string] $Name)
    return (Get-LocalUser | Where-Object { $_.Name -eq $Name } | Select-Object -First 1)
}

# The local group of a well-known SID, through the WinNT provider (ADSI):
# group names are localized, so the name comes from the SID.
# https://learn.microsoft.com/windows/win32/adsi/winnt-adspath
# https://learn.microsoft.com/windows/win32/secauthz/well-known-sids
function Get-MsiLabLocalGroup {
    param([string] $GroupSid)
    $account = ([System.Security.Principal.SecurityIdentifier]::new($GroupSid)).Translate([System.Security.Principal.NTAccount]).Value
    return [ADSI]('WinNT://' + $env:COMPUTERNAME + '/' + $account.Split('\')[-1] + ',group')
}

# Whether a SID is a direct member of a local group given by its well-known
# SID: the group's Members through the WinNT provider, compared by their
# objectSid. Never Get-LocalGroupMember, which fails on a group holding an
# orphaned SID or an Azure AD member ("Failed to compare two elements in
# the array", PowerShell#2996; docs/evidence.md#E-localgroup-orphan): such
# a member still has its objectSid here.
# https://github.com/PowerShell/PowerShell/issues/2996
# IADsGroup::Members: https://learn.microsoft.com/windows/win32/api/iads/nf-iads-iadsgroup-members
function Test-MsiLabGroupMember {
    param([string] $GroupSid, [string] $Sid)
    $group = Get-MsiLabLocalGroup $GroupSid
    foreach ($member in @($group.PSBase.Invoke('Members'))) {
        $bytes = $member.GetType().InvokeMember('objectSid', 'GetProperty', $null, $member, $null)
        if ($null -eq $bytes) { continue }
        if (([System.Security.Principal.SecurityIdentifier]::new([byte[]]$bytes, 0)).Value -eq $Sid) { return $true }
    }
    return $false
}

# A user's profile folder: Win32_UserProfile's LocalPath for the SID (the
# profile exists after the first logon), else C:\Users\<name> if present.
# https://learn.microsoft.com/previous-versions/windows/desktop/legacy/ee886409(v=vs.85)
function Get-MsiLabUserProfile {
    param([string] $Name, [string] $Sid)
    $prof = Get-MsiLabCimByKey 'Win32_UserProfile' @{ SID = $Sid }
    if ($null -ne $prof) { return [string]$prof.LocalPath }
    $dir = Join-Path (Split-Path -Parent $env:PUBLIC) $Name
    if ([System.IO.Directory]::Exists($dir)) { return $dir }
    return ''
}

# A local user as the catalog's User (exists=$false when missing).
# https://learn.microsoft.com/powershell/module/microsoft.powershell.localaccounts/get-localuser?view=powershell-5.1
function Get-MsiLabUser {
    param([string] $Name)
    $user = Find-MsiLabLocalUser $Name
    if ($null -eq $user) { return [ordered]@{ name = $Name; exists = $false } }
    $sid = $user.SID.Value
    [ordered]@{
        name    = $user.Name
        exists  = $true
        sid     = $sid
        admin   = (Test-MsiLabGroupMember $script:MsiLabAdminsSid $sid)
        enabled = [bool]$user.Enabled
        profile = (Get-MsiLabUserProfile $user.Name $sid)
    }
}

# Puts a user in Users (by the group's SID: its name is localized).
# https://learn.microsoft.com/powershell/module/microsoft.powershell.localaccounts/add-localgroupmember?view=powershell-5.1
function Set-MsiLabUserGroups {
    param($User)
    if (-not (Test-MsiLabGroupMember $script:MsiLabUsersSid $User.SID.Value)) {
        Add-LocalGroupMember -SID $script:MsiLabUsersSid -Member $User
    }
}

# Refuses (Conflict) to change the account running the batch, the
# built-in Administrator (RID 500, even out of Administrators) and any
# member of Administrators (S-1-5-32-544): user.ensure resets a password.
# https://learn.microsoft.com/windows/win32/secauthz/well-known-sids
function Assert-MsiLabNotAdministrator {
    param($User)
    $name = $User.Name
    $sid = $User.SID.Value
    if ($sid -eq [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value) {
        throw (New-MsiLabError 'Conflict' "user $name runs this batch (the connecting account); msilab changes neither it nor any administrator")
    }
    if ($sid -match '^S-1-5-21-\d+-\d+-\d+-500$') {
        throw (New-MsiLabError 'Conflict' "user $name is the built-in administrator (RID 500); msilab changes only a standard user")
    }
    if (Test-MsiLabGroupMember $script:MsiLabAdminsSid $sid) {
        throw (New-MsiLabError 'Conflict' "user $name is an administrator (a member of Administrators, S-1-5-32-544); msilab changes only a standard user")
    }
}

# user.ensure: creates a standard local user if missing (password and
# account never expire, a member of Users), else sets its password and
# enables it. The account running the batch and any administrator are
# refused (Assert-MsiLabNotAdministrator). Creating is all or nothing: when
# Windows refuses the password (a standalone Server enforces complexity:
# InvalidPasswordException, InvalidArgs) New-LocalUser can leave the
# account behind, and a failed group change would leave one outside
# Users; either way the account it made is removed before the error.
# New-LocalUser: https://learn.microsoft.com/powershell/module/microsoft.powershell.localaccounts/new-localuser?view=powershell-5.1
# Remove-LocalUser: https://learn.microsoft.com/powershell/module/microsoft.powershell.localaccounts/remove-localuser?view=powershell-5.1
# ConvertTo-SecureString: https://learn.microsoft.com/powershell/module/microsoft.powershell.security/convertto-securestring?view=powershell-5.1
function Set-MsiLabUser {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name', 'password')
    $name = Get-MsiLabUserName $OpArgs
    $password = ConvertTo-SecureString -String (Get-MsiLabString $OpArgs 'password') -AsPlainText -Force
    $user = Find-MsiLabLocalUser $name
    if ($null -ne $user) { Assert-MsiLabNotAdministrator $user }
    $before = Get-MsiLabUser $name
    $created = $null -eq $user
    if ($created) {
        try {
            $user = New-LocalUser -Name $name -Password $password -PasswordNeverExpires -AccountNeverExpires
            Set-MsiLabUserGroups $user
        } catch {
            $partial = Find-MsiLabLocalUser $name
            if ($null -ne $partial) { Remove-LocalUser -InputObject $partial -ErrorAction SilentlyContinue }
            throw
        }
    } else {
        Set-LocalUser -InputObject $user -Password $password
        Enable-LocalUser -InputObject $user
        Set-MsiLabUserGroups $user
    }
    [ordered]@{ before = $before; user = (Get-MsiLabUser $name); created = $created }
}

# user.get: a local user's SID, groups and profile.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.localaccounts/get-localuser?view=powershell-5.1
function Get-MsiLabUserOp {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    Get-MsiLabUser (Get-MsiLabUserName $OpArgs)
}

# user.rights: the user rights the local security policy assigns to the
# account, to a local group it is a direct member of, or to Everyone and
# Authenticated Users. secedit exports the policy's [Privilege Rights] as
# "SeBatchLogonRight = *S-1-5-32-544,*S-1-5-32-551" (a name without * for
# an account it could not map to a SID).
# secedit /export: https://learn.microsoft.com/windows-server/administration/windows-commands/secedit-export
# User rights assignment: https://learn.microsoft.com/windows/security/threat-protection/security-policy-settings/user-rights-assignment
function Get-MsiLabUserRights {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    $name = Get-MsiLabUserName $OpArgs
    $user = Find-MsiLabLocalUser $name
    if ($null -eq $user) { return [ordered]@{ name = $name; exists = $false; rights = @() } }
    $sid = $user.SID.Value
    $holders = New-Object System.Collections.Generic.HashSet[string]
    foreach ($s in @($sid, 'S-1-1-0', 'S-1-5-11')) { [void]$holders.Add($s) }
    foreach ($g in (Get-LocalGroup)) {
        if (Test-MsiLabGroupMember $g.SID.Value $sid) { [void]$holders.Add($g.SID.Value) }
    }
    $cfg = [System.IO.Path]::GetTempFileName()
    try {
        $out = & secedit.exe /export /areas USER_RIGHTS /cfg $cfg /quiet 2>&1
        if ($LASTEXITCODE -ne 0) { throw (New-MsiLabError 'Internal' "secedit /export failed ($LASTEXITCODE): $out") }
        $lines = Get-Content -LiteralPath $cfg -Encoding Unicode
    } finally {
        Remove-Item -LiteralPath $cfg -Force -ErrorAction SilentlyContinue
    }
    $rights = New-Object System.Collections.Generic.List[string]
    foreach ($line in $lines) {
        if ($line -notmatch '^\s*(Se\w+)\s*=\s*(.*)$') { continue }
        $right = $Matches[1]
        foreach ($entry in $Matches[2].Split(',')) {
            $e = $entry.Trim()
            if ($e.StartsWith('*')) { $e = $e.Substring(1) } elseif ($e -eq $user.Name) { $e = $sid }
            if ($holders.Contains($e)) { $rights.Add($right); break }
        }
    }
    $rights.Sort([System.StringComparer]::Ordinal)
    [ordered]@{ name = $user.Name; exists = $true; sid = $sid; rights = $rights.ToArray() }
}

#endregion
#region Event log

# A reader of the Application log, optionally with an XPath query, newest
# first when -Reverse. EventLogQuery: https://learn.microsoft.com/dotnet/api/system.diagnostics.eventing.reader.eventlogquery
# EventLogReader: https://learn.microsoft.com/dotnet/api/system.diagnostics.eventing.reader.eventlogreader
function New-MsiLabEventReader {
    param([string] $XPath = '*', [switch] $Reverse)
    $logName = [System.Diagnostics.Eventing.Reader.PathType]::LogName
    $query = [System.Diagnostics.Eventing.Reader.EventLogQuery]::new('Application', $logName, $XPath)
    $query.ReverseDirection = [bool]$Reverse
    return [System.Diagnostics.Eventing.Reader.EventLogReader]::new($query)
}

# Level names: 1 Critical and 2 Error are Error, 3 Warning; others (4, and
# 0 for classic Information events) are Information.
# https://learn.microsoft.com/windows/win32/wes/eventmanifestschema-leveltype-complextype
function Get-MsiLabEventLevel {
    param($Level)
    $n = 0
    if ($null -ne $Level) { $n = [int]$Level }
    if ($n -eq 1 -or $n -eq 2) { return 'Error' }
    if ($n -eq 3) { return 'Warning' }
    return 'Information'
}

# An event's message from its provider's message file, else (no message
# file) its data strings joined.
# EventRecord.FormatDescription: https://learn.microsoft.com/dotnet/api/system.diagnostics.eventing.reader.eventrecord.formatdescription
function Get-MsiLabEventMessage {
    param($Record, [string[]] $Data)
    $text = $null
    try { $text = $Record.FormatDescription() } catch { $text = $null }
    if ([string]::IsNullOrEmpty($text)) { $text = $Data -join ' ' }
    return [string]$text
}

# One Application log record as the catalog's Event (time in UTC, RFC 3339).
# EventRecord: https://learn.microsoft.com/dotnet/api/system.diagnostics.eventing.reader.eventrecord
function ConvertTo-MsiLabEvent {
    param($Record)
    [string[]]$data = @($Record.Properties | ForEach-Object { [string]$_.Value })
    $out = [ordered]@{
        record_id = [uint64]$Record.RecordId
        time      = ([datetime]$Record.TimeCreated).ToUniversalTime().ToString('o')
        source    = [string]$Record.ProviderName
        event_id  = [int]$Record.Id
        level     = (Get-MsiLabEventLevel $Record.Level)
        message   = (Get-MsiLabEventMessage $Record $data)
        data      = $data
    }
    if ($null -ne $Record.UserId) { $out.user_sid = $Record.UserId.Value }
    return $out
}

# eventlog.bookmark: the newest record id of the Application log (0 when
# the log is empty). https://learn.microsoft.com/dotnet/api/system.diagnostics.eventing.reader.eventlogreader.readevent
function Get-MsiLabEventBookmark {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @()
    $reader = New-MsiLabEventReader -Reverse
    try {
        $record = $reader.ReadEvent()
        $id = [uint64]0
        if ($null -ne $record) { $id = [uint64]$record.RecordId; $record.Dispose() }
        [ordered]@{ record_id = $id }
    } finally { $reader.Dispose() }
}

# eventlog.query: Application log records after a bookmark, from one source
# ("" for all), and the bookmark to pass next. The XPath holds only the
# validated integer; the source is compared here, not written into the query.
# Event XPath: https://learn.microsoft.com/windows/win32/wes/consuming-events
function Get-MsiLabEvents {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('after', 'source')
    $after = [uint64](Get-MsiLabNumber $OpArgs 'after' 0 ([decimal][uint64]::MaxValue) 0)
    $source = Get-MsiLabString $OpArgs 'source' -Optional
    $xpath = '*[System[EventRecordID > {0}]]' -f $after.ToString([System.Globalization.CultureInfo]::InvariantCulture)
    $reader = New-MsiLabEventReader $xpath
    $events = New-Object System.Collections.ArrayList
    $bookmark = $after
    try {
        for ($r = $reader.ReadEvent(); $null -ne $r; $r = $reader.ReadEvent()) {
            if ([uint64]$r.RecordId -gt $bookmark) { $bookmark = [uint64]$r.RecordId }
            if ($source -eq '' -or $r.ProviderName -eq $source) { [void]$events.Add((ConvertTo-MsiLabEvent $r)) }
            $r.Dispose()
        }
    } finally { $reader.Dispose() }
    [ordered]@{ events = $events.ToArray(); bookmark = $bookmark }
}

#endregion
#region Mutexes

# The holder process's constant script (mutex.hold), run by a LocalSystem
# scheduled task. Its working directory is the hold's folder, where
# hold.json holds {name, seconds}. It opens or
# creates the mutex unowned and takes it without waiting (a mutex created
# with initiallyOwned is not owned when it already existed), reports in
# state.json (written whole, then renamed), holds it until the deadline or
# until hold.json is removed (mutex.release), releases it from the thread
# that owns it, and removes the hold's folder.
# Mutex: https://learn.microsoft.com/dotnet/api/system.threading.mutex.-ctor
# WaitOne: https://learn.microsoft.com/dotnet/api/system.threading.waithandle.waitone
# Namespaces: https://learn.microsoft.com/windows/win32/termserv/kernel-object-namespaces
$script:MsiLabMutexHolder = {
    $ErrorActionPreference = 'Stop'
    $dir = [System.Environment]::CurrentDirectory
    $hold = Join-Path $dir 'hold.json'
    $req = [System.IO.File]::ReadAllText($hold) | ConvertFrom-Json
    $state = @{ pid = $PID; state = 'held'; message = '' }
    $mutex = $null
    try {
        $mutex = [System.Threading.Mutex]::new($false, [string]$req.name)
        $owned = $false
        try { $owned = $mutex.WaitOne(0) } catch [System.Threading.AbandonedMutexException] { $owned = $true }
        if (-not $owned) { $state.state = 'busy' }
    } catch [System.UnauthorizedAccessException] {
        $state.state = 'busy'
    } catch {
        $state.state = 'error'; $state.message = $_.Exception.Message
    }
    [System.IO.File]::WriteAllText((Join-Path $dir 'state.tmp'), (ConvertTo-Json $state -Compress))
    [System.IO.File]::Move((Join-Path $dir 'state.tmp'), (Join-Path $dir 'state.json'))
    if ($state.state -ne 'held') { exit 1 }
    $until = [DateTime]::UtcNow.AddSeconds([int]$req.seconds)
    while ([DateTime]::UtcNow -lt $until -and [System.IO.File]::Exists($hold)) { Start-Sleep -Milliseconds 250 }
    $mutex.ReleaseMutex()
    $mutex.Dispose()
    [System.Environment]::CurrentDirectory = [System.IO.Path]::GetDirectoryName($dir)
    Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
}
# -EncodedCommand takes base64 of UTF-16LE text.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_powershell_exe?view=powershell-5.1
$script:MsiLabMutexHolderCommand = [System.Convert]::ToBase64String(
    [System.Text.Encoding]::Unicode.GetBytes($script:MsiLabMutexHolder.ToString()))

# The folder of msilab's mutex holds: one subfolder per hold.
# https://learn.microsoft.com/dotnet/api/system.environment.specialfolder
function Get-MsiLabMutexRoot {
    return (Join-Path $env:ProgramData 'msilab\mutex')
}

# A mutex name argument: "Global\" or "Local\" and a name without \ (names
# are case-sensitive). https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-createmutexw
function Get-MsiLabMutexName {
    param($OpArgs)
    $name = Get-MsiLabString $OpArgs 'name'
    if ($name -notmatch '^((Global|Local)\\)?[^\\]{1,240}$') {
        throw (New-MsiLabError 'InvalidArgs' "invalid mutex name: $name" 123)
    }
    return $name
}

# A process's identity: its ID, its start (UTC ticks, as text) and its
# command line, from Win32_Process ($null when it is not running). An ID
# alone names whatever process has it now: Windows reuses process IDs
# (docs/evidence.md#E-process-id).
# Win32_Process: https://learn.microsoft.com/windows/win32/cimwin32prov/win32-process
function Get-MsiLabProcessIdentity {
    param([int] $ProcessId)
    if ($ProcessId -le 0) { return $null }
    $p = Get-CimInstance -ClassName Win32_Process -Filter "ProcessId = $ProcessId" -ErrorAction SilentlyContinue
    if ($null -eq $p -or $null -eq $p.CreationDate) { return $null }
    return @{ pid = $ProcessId; start = [string]$p.CreationDate.ToUniversalTime().Ticks; command = [string]$p.CommandLine }
}

# A hold's holder process, or $null unless the process of that ID is the
# holder msilab started: its command line runs the holder script and, when
# $Start is given (recorded in holder.json at mutex.hold), it started then.
# Any other process (one that reused the ID, one a state.json names) is
# never returned, so never stopped.
# Get-Process: https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-process?view=powershell-5.1
function Get-MsiLabMutexHolderProcess {
    param([int] $ProcessId, [string] $Start = '')
    $id = Get-MsiLabProcessIdentity $ProcessId
    if ($null -eq $id -or -not $id.command.Contains($script:MsiLabMutexHolderCommand)) { return $null }
    if ($Start -ne '' -and $id.start -ne $Start) { return $null }
    return (Get-Process -Id $ProcessId -ErrorAction SilentlyContinue)
}

# Reads a hold's folder: @{dir; name; pid; state; holder; process} ($null
# while the holder starts, or once the hold has ended). pid is what the
# holder reported in state.json; holder is what mutex.hold recorded in
# holder.json ({pid; start}, $null if none); process is the holder's
# process when both agree and it still runs (Get-MsiLabMutexHolderProcess).
# File.ReadAllText: https://learn.microsoft.com/dotnet/api/system.io.file.readalltext
function Read-MsiLabMutexHold {
    param([string] $Dir)
    try {
        $req = [System.IO.File]::ReadAllText((Join-Path $Dir 'hold.json')) | ConvertFrom-Json
        $state = [System.IO.File]::ReadAllText((Join-Path $Dir 'state.json')) | ConvertFrom-Json
    } catch { return $null }
    $hold = @{ dir = $Dir; name = [string]$req.name; pid = [int]$state.pid; state = [string]$state.state; holder = $null; process = $null }
    $holderFile = Join-Path $Dir 'holder.json'
    if ([System.IO.File]::Exists($holderFile)) {
        try { $hold.holder = [System.IO.File]::ReadAllText($holderFile) | ConvertFrom-Json } catch { }
    }
    if ($null -ne $hold.holder -and [int]$hold.holder.pid -eq $hold.pid) {
        $hold.process = Get-MsiLabMutexHolderProcess $hold.pid ([string]$hold.holder.start)
    }
    return $hold
}

# msilab's holds of a mutex (names compared case-sensitively).
# Directory.GetDirectories: https://learn.microsoft.com/dotnet/api/system.io.directory.getdirectories
function Get-MsiLabMutexHolds {
    param([string] $Name)
    $holds = New-Object System.Collections.ArrayList
    $root = Get-MsiLabMutexRoot
    if (-not [System.IO.Directory]::Exists($root)) { return , $holds }
    foreach ($dir in [System.IO.Directory]::GetDirectories($root)) {
        $hold = Read-MsiLabMutexHold $dir
        if ($null -ne $hold -and $hold.name -ceq $Name) { [void]$holds.Add($hold) }
    }
    return , $holds
}

# A mutex as the catalog's Mutex: held while it exists (Windows Installer
# creates Global\_MSIExecute for its execute phase and closes it after;
# a DACL that denies us still shows it exists), holder set for msilab's.
# Mutex.TryOpenExisting: https://learn.microsoft.com/dotnet/api/system.threading.mutex.tryopenexisting
# _MSIExecute: https://learn.microsoft.com/windows/win32/msi/-msiexecute-mutex
function Get-MsiLabMutex {
    param([string] $Name)
    $m = $null
    try { $exists = [System.Threading.Mutex]::TryOpenExisting($Name, [ref]$m) }
    catch [System.UnauthorizedAccessException] { $exists = $true }
    if ($null -ne $m) { $m.Dispose() }
    $out = [ordered]@{ name = $Name; held = [bool]$exists }
    foreach ($hold in (Get-MsiLabMutexHolds $Name)) {
        if ($exists -and $hold.state -eq 'held' -and $null -ne $hold.process) { $out.holder = $script:MsiLabMutexHolderName }
    }
    return $out
}

# The scheduled task of a hold: \msilab\mutex-<the hold folder's name>.
function Get-MsiLabMutexTask {
    param([string] $Dir)
    return @{ TaskName = ('mutex-' + [System.IO.Path]::GetFileName($Dir)); TaskPath = $script:MsiLabTaskPath }
}

# The action of a holder task: powershell.exe running the holder script.
function Get-MsiLabMutexHolderAction {
    return @{ Execute = (Join-Path $PSHOME 'powershell.exe'); Arguments = ('-NoLogo -NoProfile -NonInteractive -EncodedCommand ' + $script:MsiLabMutexHolderCommand) }
}

# Throws Conflict unless a hold is msilab's: state.json names the process
# mutex.hold recorded in holder.json, and the hold's task, if registered,
# is \msilab\mutex-<the folder's name>, runs as SYSTEM, and runs the
# holder script in that folder. mutex.release checks every hold before it
# stops anything.
# Get-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/get-scheduledtask?view=windowsserver2022-ps
function Assert-MsiLabMutexHolder {
    param($Hold)
    $where = "the mutex hold in $($Hold.dir) is not msilab's"
    $tail = '; msilab stops nothing it did not start'
    if ($null -eq $Hold.holder) {
        throw (New-MsiLabError 'Conflict' "${where}: state.json names PID $($Hold.pid), which msilab did not record starting (no holder.json)$tail")
    }
    if ([int]$Hold.holder.pid -ne $Hold.pid) {
        throw (New-MsiLabError 'Conflict' "${where}: state.json names PID $($Hold.pid), not the holder msilab started (PID $([int]$Hold.holder.pid))$tail")
    }
    $task = Get-MsiLabMutexTask $Hold.dir
    $registered = Get-ScheduledTask @task -ErrorAction SilentlyContinue
    if ($null -eq $registered) { return }
    $name = $task.TaskPath + $task.TaskName
    $user = [string]$registered.Principal.UserId
    if (@('SYSTEM', 'NT AUTHORITY\SYSTEM', 'S-1-5-18') -notcontains $user) {
        throw (New-MsiLabError 'Conflict' "${where}: its task $name runs as $user, not as SYSTEM$tail")
    }
    $want = Get-MsiLabMutexHolderAction
    $actions = @($registered.Actions)
    if ($actions.Count -ne 1 -or $actions[0].Execute -ne $want.Execute -or $actions[0].Arguments -ne $want.Arguments -or $actions[0].WorkingDirectory -ne $Hold.dir) {
        throw (New-MsiLabError 'Conflict' "${where}: its task $name runs '$($actions[0].Execute)' in '$($actions[0].WorkingDirectory)', not msilab's holder$tail")
    }
}

# Starts a holder process as a LocalSystem scheduled task, so that it
# outlives the WinRM command: a process the command starts ends with it,
# and one started through Win32_Process.Create lives in WMI's job object,
# which may end it. The task's own time limit is a backstop past the hold.
# Returns @{dir; task}.
# New-ScheduledTaskPrincipal: https://learn.microsoft.com/powershell/module/scheduledtasks/new-scheduledtaskprincipal?view=windowsserver2022-ps
# Register-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/register-scheduledtask?view=windowsserver2022-ps
function Start-MsiLabMutexHolder {
    param([string] $Name, [int] $Seconds)
    $dir = Join-Path (Get-MsiLabMutexRoot) ([guid]::NewGuid().ToString())
    [void][System.IO.Directory]::CreateDirectory($dir)
    $req = ConvertTo-Json @{ name = $Name; seconds = $Seconds } -Compress
    [System.IO.File]::WriteAllText((Join-Path $dir 'hold.json'), $req)
    $task = Get-MsiLabMutexTask $dir
    $want = Get-MsiLabMutexHolderAction
    $action = New-ScheduledTaskAction -Execute $want.Execute -Argument $want.Arguments -WorkingDirectory $dir
    $principal = New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -ExecutionTimeLimit ([TimeSpan]::FromSeconds($Seconds + 300))
    try {
        $null = Register-ScheduledTask @task -Action $action -Principal $principal -Settings $settings
        $null = Start-ScheduledTask @task
    } catch {
        $null = Unregister-ScheduledTask @task -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        throw
    }
    return @{ dir = $dir; task = $task }
}

# Waits up to 30 s for a new holder's report in state.json ($null: none,
# or its task stopped without one).
# Get-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/get-scheduledtask?view=windowsserver2022-ps
function Wait-MsiLabMutexHolder {
    param($Holder)
    $file = Join-Path $Holder.dir 'state.json'
    $task = $Holder.task
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ([System.IO.File]::Exists($file)) { return ([System.IO.File]::ReadAllText($file) | ConvertFrom-Json) }
        $registered = Get-ScheduledTask @task -ErrorAction SilentlyContinue
        $info = Get-ScheduledTaskInfo @task -ErrorAction SilentlyContinue
        if ($null -eq $registered -or $null -eq $info) { break }
        if ([string]$registered.State -notin @('Running', 'Queued') -and $script:MsiLabTaskPending -notcontains [long]$info.LastTaskResult) { break }
        Start-Sleep -Milliseconds 100
    }
    if ([System.IO.File]::Exists($file)) { return ([System.IO.File]::ReadAllText($file) | ConvertFrom-Json) }
    return $null
}

# Ends a hold: removing hold.json tells the holder to release the mutex and
# exit; one still running after 10 s is stopped (the mutex is then
# abandoned: https://learn.microsoft.com/dotnet/api/system.threading.abandonedmutexexception).
# Its task is then stopped and unregistered, and its folder removed.
# Process.WaitForExit: https://learn.microsoft.com/dotnet/api/system.diagnostics.process.waitforexit
# Unregister-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/unregister-scheduledtask?view=windowsserver2022-ps
function Stop-MsiLabMutexHold {
    param($Hold)
    Remove-Item -LiteralPath (Join-Path $Hold.dir 'hold.json') -Force -ErrorAction SilentlyContinue
    $proc = $Hold.process
    if ($null -ne $proc -and -not $proc.WaitForExit(10000)) { Stop-Process -Id $proc.Id -Force }
    $task = Get-MsiLabMutexTask $Hold.dir
    $null = Stop-ScheduledTask @task -ErrorAction SilentlyContinue
    $null = Unregister-ScheduledTask @task -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $Hold.dir -Recurse -Force -ErrorAction SilentlyContinue
}

# Unregisters the holder tasks whose hold folder is gone: holds that ended
# at their deadline (the holder removes its folder; Task Scheduler keeps
# the task registered).
function Remove-MsiLabMutexTasks {
    $root = Get-MsiLabMutexRoot
    foreach ($t in @(Get-ScheduledTask -TaskPath $script:MsiLabTaskPath -ErrorAction SilentlyContinue)) {
        if (-not $t.TaskName.StartsWith('mutex-')) { continue }
        if ([System.IO.Directory]::Exists((Join-Path $root $t.TaskName.Substring(6)))) { continue }
        $null = Unregister-ScheduledTask -TaskName $t.TaskName -TaskPath $script:MsiLabTaskPath -Confirm:$false -ErrorAction SilentlyContinue
    }
}

# mutex.hold: holds a named mutex (Global\_MSIExecute: what Windows
# Installer holds during an install's execute phase, so other installs fail
# with 1618) for 1 to 86400 s from a separate process, a LocalSystem task. A mutex that already
# exists is Conflict. https://learn.microsoft.com/windows/win32/msi/-msiexecute-mutex
function Invoke-MsiLabMutexHold {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name', 'seconds')
    $name = Get-MsiLabMutexName $OpArgs
    $seconds = [int](Get-MsiLabNumber $OpArgs 'seconds' 1 86400)
    $before = Get-MsiLabMutex $name
    if ($before.held) { throw (New-MsiLabError 'Conflict' "$name is already held") }
    $holder = Start-MsiLabMutexHolder $name $seconds
    $state = Wait-MsiLabMutexHolder $holder
    $identity = $null
    if ($null -ne $state -and $state.state -eq 'held') {
        $identity = Get-MsiLabProcessIdentity ([int]$state.pid)
        if ($null -ne $identity -and -not $identity.command.Contains($script:MsiLabMutexHolderCommand)) { $identity = $null }
    }
    if ($null -eq $identity) {
        $proc = $null
        if ($null -ne $state) { $proc = Get-MsiLabMutexHolderProcess ([int]$state.pid) }
        Stop-MsiLabMutexHold @{ dir = $holder.dir; process = $proc }
        if ($null -eq $state) { throw (New-MsiLabError 'Internal' "the holder of $name did not start") }
        if ($state.state -eq 'busy') { throw (New-MsiLabError 'Conflict' "$name is held by another process") }
        if ($state.state -eq 'held') { throw (New-MsiLabError 'Internal' "the holder of $name reported PID $($state.pid), which does not run the holder script") }
        throw (New-MsiLabError 'Internal' "the holder of ${name}: $($state.message)")
    }
    # What mutex.release checks before it stops anything: the PID and its start.
    [System.IO.File]::WriteAllText((Join-Path $holder.dir 'holder.json'), (ConvertTo-Json @{ pid = $identity.pid; start = $identity.start } -Compress))
    [ordered]@{ before = $before; after = (Get-MsiLabMutex $name) }
}

# mutex.release: ends msilab's holds of a mutex (and stale ones) and
# unregisters their holder tasks; a mutex held by another process is
# Conflict, one not held is left as it is. Every hold is checked first
# (Assert-MsiLabMutexHolder): one that is not msilab's is Conflict and
# nothing is stopped.
# https://learn.microsoft.com/dotnet/api/system.threading.mutex.releasemutex
function Invoke-MsiLabMutexRelease {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    $name = Get-MsiLabMutexName $OpArgs
    $before = Get-MsiLabMutex $name
    if ($before.held -and -not $before.Contains('holder')) {
        throw (New-MsiLabError 'Conflict' "$name is held, but not by msilab")
    }
    $holds = Get-MsiLabMutexHolds $name
    foreach ($hold in $holds) { Assert-MsiLabMutexHolder $hold }
    foreach ($hold in $holds) { Stop-MsiLabMutexHold $hold }
    Remove-MsiLabMutexTasks
    $root = Get-MsiLabMutexRoot
    if ([System.IO.Directory]::Exists($root) -and @([System.IO.Directory]::EnumerateFileSystemEntries($root)).Count -eq 0) {
        [System.IO.Directory]::Delete($root)
    }
    [ordered]@{ before = $before; after = (Get-MsiLabMutex $name) }
}

# mutex.get: whether a named mutex exists, and whether msilab holds it.
# https://learn.microsoft.com/dotnet/api/system.threading.mutex.tryopenexisting
function Get-MsiLabMutexOp {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    Get-MsiLabMutex (Get-MsiLabMutexName $OpArgs)
}

#endregion
#region Logons and user hives

# The C# helpers: an interactive logon (LogonUser with
# LOGON32_LOGON_INTERACTIVE, LoadUserProfile, CreateEnvironmentBlock,
# CreateProcessWithTokenW, as Ansible's become does for Windows), privileges,
# user hives (RegLoadKey), user rights (LsaEnumerateAccountsWithUserRight),
# security descriptors as stored (GetNamedSecurityInfoW,
# SetNamedSecurityInfoW), service configuration (ChangeServiceConfigW,
# ChangeServiceConfig2W) and the holders of open files (Restart Manager).
# C# 5 and .NET Framework 4.x only: Windows PowerShell 5.1's Add-Type
# compiles it (CI compiles the same text with mcs -langversion:5). A
# double-quoted here-string without $ or backtick, so that it is literal and
# the module can itself sit in a single-quoted here-string (repro.ps1).
# LogonUser: https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-logonuserw
# LoadUserProfile: https://learn.microsoft.com/windows/win32/api/userenv/nf-userenv-loaduserprofilew
# CreateEnvironmentBlock: https://learn.microsoft.com/windows/win32/api/userenv/nf-userenv-createenvironmentblock
# CreateProcessWithTokenW: https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-createprocesswithtokenw
# RegLoadKey: https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regloadkeyw
# LsaEnumerateAccountsWithUserRight: https://learn.microsoft.com/windows/win32/api/ntsecapi/nf-ntsecapi-lsaenumerateaccountswithuserright
$script:MsiLabNativeSource = @"
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Security.AccessControl;
using System.Security.Principal;
using System.Text;

namespace MsiLab
{
    // The outcome of a process run with an interactive logon's token.
    public sealed class RunResult
    {
        public int ExitCode;
        public bool TimedOut;
    }

    // An interactive logon of a local account: LogonUser with
    // LOGON32_LOGON_INTERACTIVE (for an administrator under UAC, its
    // filtered token), its profile loaded, and processes started with its
    // token and its own environment through CreateProcessWithTokenW.
    public sealed class InteractiveLogon : IDisposable
    {
        const int LOGON32_LOGON_INTERACTIVE = 2;
        const int LOGON32_PROVIDER_DEFAULT = 0;
        const int PI_NOUI = 1;
        const int TokenElevationTypeClass = 18;
        const uint CREATE_DEFAULT_ERROR_MODE = 0x04000000;
        const uint CREATE_UNICODE_ENVIRONMENT = 0x00000400;
        const uint WAIT_TIMEOUT = 0x102;
        const int ERROR_TIMEOUT = 1460;

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        struct PROFILEINFO
        {
            public int dwSize;
            public int dwFlags;
            public string lpUserName;
            public string lpProfilePath;
            public string lpDefaultPath;
            public string lpServerName;
            public string lpPolicyPath;
            public IntPtr hProfile;
        }

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        struct STARTUPINFO
        {
            public int cb;
            public string lpReserved;
            public string lpDesktop;
            public string lpTitle;
            public int dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars, dwFillAttribute, dwFlags;
            public short wShowWindow, cbReserved2;
            public IntPtr lpReserved2, hStdInput, hStdOutput, hStdError;
        }

        [StructLayout(LayoutKind.Sequential)]
        struct PROCESS_INFORMATION
        {
            public IntPtr hProcess, hThread;
            public int dwProcessId, dwThreadId;
        }

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool LogonUserW(string user, string domain, string password, int type, int provider, out IntPtr token);

        [DllImport("userenv.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool LoadUserProfileW(IntPtr token, ref PROFILEINFO info);

        [DllImport("userenv.dll", SetLastError = true)]
        static extern bool UnloadUserProfile(IntPtr token, IntPtr profile);

        [DllImport("userenv.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool GetUserProfileDirectoryW(IntPtr token, StringBuilder dir, ref int size);

        [DllImport("userenv.dll", SetLastError = true)]
        static extern bool CreateEnvironmentBlock(out IntPtr env, IntPtr token, bool inherit);

        [DllImport("userenv.dll", SetLastError = true)]
        static extern bool DestroyEnvironmentBlock(IntPtr env);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool CreateProcessWithTokenW(IntPtr token, int logonFlags, string application, StringBuilder commandLine,
            uint creationFlags, IntPtr environment, string directory, ref STARTUPINFO startup, out PROCESS_INFORMATION info);

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool GetTokenInformation(IntPtr token, int infoClass, out int info, int length, out int returned);

        [DllImport("kernel32.dll", SetLastError = true)]
        static extern uint WaitForSingleObject(IntPtr handle, uint milliseconds);

        [DllImport("kernel32.dll", SetLastError = true)]
        static extern bool GetExitCodeProcess(IntPtr process, out int exitCode);

        [DllImport("kernel32.dll", SetLastError = true)]
        static extern bool TerminateProcess(IntPtr process, int exitCode);

        [DllImport("kernel32.dll", SetLastError = true)]
        static extern bool CloseHandle(IntPtr handle);

        IntPtr token;
        IntPtr profile;

        public string User { get; private set; }
        public string Sid { get; private set; }
        // The logon's token (TokenReader reads it); valid until Dispose.
        public IntPtr Token { get { return token; } }
        // TOKEN_ELEVATION_TYPE: 1 default (no linked token), 2 full, 3 limited (UAC-filtered).
        public int ElevationType { get; private set; }
        public string ProfilePath { get; private set; }

        InteractiveLogon() { }

        // Logs a local account on; a refusal is a Win32Exception with
        // LogonUser's error (1326 wrong password, 1331 disabled, 1385 the
        // logon type is not granted).
        public static InteractiveLogon Create(string user, string password)
        {
            InteractiveLogon l = new InteractiveLogon();
            if (!LogonUserW(user, ".", password, LOGON32_LOGON_INTERACTIVE, LOGON32_PROVIDER_DEFAULT, out l.token))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }
            l.User = user;
            using (WindowsIdentity id = new WindowsIdentity(l.token))
            {
                l.Sid = id.User.Value;
            }
            int type, returned;
            if (!GetTokenInformation(l.token, TokenElevationTypeClass, out type, 4, out returned))
            {
                int err = Marshal.GetLastWin32Error();
                l.Dispose();
                throw new Win32Exception(err);
            }
            l.ElevationType = type;
            return l;
        }

        // Loads the account's profile (creating it at its first logon) and
        // returns its folder; UnloadUserProfile runs at Dispose.
        public string LoadProfile()
        {
            PROFILEINFO info = new PROFILEINFO();
            info.dwSize = Marshal.SizeOf(typeof(PROFILEINFO));
            info.dwFlags = PI_NOUI;
            info.lpUserName = User;
            if (!LoadUserProfileW(token, ref info))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }
            profile = info.hProfile;
            int size = 260;
            StringBuilder dir = new StringBuilder(size);
            if (!GetUserProfileDirectoryW(token, dir, ref size))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }
            ProfilePath = dir.ToString();
            return ProfilePath;
        }

        // Runs a program with the logon's token and the account's own
        // environment (its %TEMP%), waits up to timeoutMs, and stops it at
        // the timeout (the result is then ERROR_TIMEOUT).
        public RunResult Run(string application, string commandLine, string directory, int timeoutMs)
        {
            Desktop.GrantAccess(new SecurityIdentifier(Sid));
            IntPtr env;
            if (!CreateEnvironmentBlock(out env, token, false))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }
            PROCESS_INFORMATION pi;
            try
            {
                STARTUPINFO si = new STARTUPINFO();
                si.cb = Marshal.SizeOf(typeof(STARTUPINFO));
                if (!CreateProcessWithTokenW(token, 0, application, new StringBuilder(commandLine),
                    CREATE_UNICODE_ENVIRONMENT | CREATE_DEFAULT_ERROR_MODE, env, directory, ref si, out pi))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
            }
            finally
            {
                DestroyEnvironmentBlock(env);
            }
            try
            {
                RunResult r = new RunResult();
                if (WaitForSingleObject(pi.hProcess, (uint)timeoutMs) == WAIT_TIMEOUT)
                {
                    TerminateProcess(pi.hProcess, ERROR_TIMEOUT);
                    WaitForSingleObject(pi.hProcess, 30000);
                    r.ExitCode = ERROR_TIMEOUT;
                    r.TimedOut = true;
                    return r;
                }
                int code;
                if (!GetExitCodeProcess(pi.hProcess, out code))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
                r.ExitCode = code;
                return r;
            }
            finally
            {
                CloseHandle(pi.hThread);
                CloseHandle(pi.hProcess);
            }
        }

        public void Dispose()
        {
            if (profile != IntPtr.Zero)
            {
                UnloadUserProfile(token, profile);
                profile = IntPtr.Zero;
            }
            if (token != IntPtr.Zero)
            {
                CloseHandle(token);
                token = IntPtr.Zero;
            }
        }
    }

    // The window station and desktop of this process: a process started
    // with another account's token in them needs access (as Ansible's
    // become grants it).
    public static class Desktop
    {
        const int WindowStationAllAccess = 0x000f037f;
        const int DesktopAllAccess = 0x000f01ff;

        [DllImport("user32.dll", SetLastError = true)]
        static extern IntPtr GetProcessWindowStation();

        [DllImport("user32.dll", SetLastError = true)]
        static extern IntPtr GetThreadDesktop(int threadId);

        [DllImport("kernel32.dll")]
        static extern int GetCurrentThreadId();

        public static void GrantAccess(SecurityIdentifier account)
        {
            Grant(account, GetProcessWindowStation(), WindowStationAllAccess);
            Grant(account, GetThreadDesktop(GetCurrentThreadId()), DesktopAllAccess);
        }

        static void Grant(SecurityIdentifier account, IntPtr handle, int mask)
        {
            SafeHandle h = new BorrowedHandle(handle);
            ObjectSecurity s = new ObjectSecurity(h);
            s.Allow(account, mask);
            s.Save(h);
        }

        sealed class BorrowedHandle : SafeHandle
        {
            public BorrowedHandle(IntPtr handle) : base(handle, false) { }
            public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
            protected override bool ReleaseHandle() { return true; }
        }

        sealed class ObjectSecurity : NativeObjectSecurity
        {
            public ObjectSecurity(SafeHandle h) : base(false, ResourceType.WindowObject, h, AccessControlSections.Access) { }
            public void Allow(SecurityIdentifier account, int mask)
            {
                AddAccessRule(new Rule(account, mask));
            }
            public void Save(SafeHandle h) { Persist(h, AccessControlSections.Access); }
            public override Type AccessRightType { get { return typeof(int); } }
            public override Type AccessRuleType { get { return typeof(Rule); } }
            public override Type AuditRuleType { get { return typeof(AuditRule); } }
            public override AccessRule AccessRuleFactory(IdentityReference identity, int mask, bool inherited,
                InheritanceFlags inheritance, PropagationFlags propagation, AccessControlType type)
            {
                return new Rule(identity, mask);
            }
            public override AuditRule AuditRuleFactory(IdentityReference identity, int mask, bool inherited,
                InheritanceFlags inheritance, PropagationFlags propagation, AuditFlags flags)
            {
                throw new NotSupportedException();
            }
        }

        sealed class Rule : AccessRule
        {
            public Rule(IdentityReference identity, int mask)
                : base(identity, mask, false, InheritanceFlags.None, PropagationFlags.None, AccessControlType.Allow) { }
        }
    }

    // A file or folder's security descriptor, as it is stored.
    public sealed class SecurityInfo
    {
        public string Sddl;
        public string Owner;
        public bool Protected;
    }

    // The parts an SDDL string holds.
    public sealed class SddlParts
    {
        public bool HasOwner;
        public bool HasGroup;
        public bool HasDacl;
        public bool Protected;
    }

    // Security descriptors read and written as they are, through
    // GetNamedSecurityInfoW and SetNamedSecurityInfoW: no .NET
    // CommonSecurityDescriptor in between, which sorts and merges the
    // ACEs of a canonical DACL (Get-Acl, Set-Acl, FileSecurity).
    public static class Sddl
    {
        const int SE_FILE_OBJECT = 1;
        const int SDDL_REVISION_1 = 1;
        const uint OWNER_SECURITY_INFORMATION = 0x1;
        const uint GROUP_SECURITY_INFORMATION = 0x2;
        const uint DACL_SECURITY_INFORMATION = 0x4;
        const uint UNPROTECTED_DACL_SECURITY_INFORMATION = 0x20000000;
        const uint PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
        const ushort SE_DACL_PROTECTED = 0x1000;

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool ConvertStringSecurityDescriptorToSecurityDescriptorW(string sddl, int revision, out IntPtr sd, IntPtr size);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool ConvertSecurityDescriptorToStringSecurityDescriptorW(IntPtr sd, int revision, uint info, out IntPtr sddl, IntPtr length);

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool GetSecurityDescriptorControl(IntPtr sd, out ushort control, out uint revision);

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool GetSecurityDescriptorOwner(IntPtr sd, out IntPtr owner, out bool defaulted);

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool GetSecurityDescriptorGroup(IntPtr sd, out IntPtr group, out bool defaulted);

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool GetSecurityDescriptorDacl(IntPtr sd, out bool present, out IntPtr dacl, out bool defaulted);

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
        static extern int GetNamedSecurityInfoW(string name, int type, uint info, out IntPtr owner, out IntPtr group,
            out IntPtr dacl, out IntPtr sacl, out IntPtr sd);

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
        static extern int SetNamedSecurityInfoW(string name, int type, uint info, IntPtr owner, IntPtr group, IntPtr dacl, IntPtr sacl);

        [DllImport("kernel32.dll")]
        static extern IntPtr LocalFree(IntPtr mem);

        // Reads owner, group and DACL; a missing path is a Win32Exception
        // with 2 or 3, a denied one with 5.
        public static SecurityInfo Read(string path)
        {
            IntPtr owner, group, dacl, sacl, sd;
            int err = GetNamedSecurityInfoW(path, SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                out owner, out group, out dacl, out sacl, out sd);
            if (err != 0)
            {
                throw new Win32Exception(err);
            }
            try
            {
                SecurityInfo info = new SecurityInfo();
                IntPtr text;
                if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1,
                    OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, out text, IntPtr.Zero))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
                info.Sddl = Marshal.PtrToStringUni(text);
                LocalFree(text);
                if (owner != IntPtr.Zero)
                {
                    info.Owner = new SecurityIdentifier(owner).Value;
                }
                ushort control;
                uint revision;
                if (!GetSecurityDescriptorControl(sd, out control, out revision))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
                info.Protected = (control & SE_DACL_PROTECTED) != 0;
                return info;
            }
            finally
            {
                LocalFree(sd);
            }
        }

        // Which parts an SDDL string holds; a malformed one is an
        // ArgumentException.
        public static SddlParts Parts(string sddl)
        {
            IntPtr sd = Convert(sddl);
            try
            {
                SddlParts p = new SddlParts();
                IntPtr owner, group, dacl;
                bool defaulted, present;
                GetSecurityDescriptorOwner(sd, out owner, out defaulted);
                GetSecurityDescriptorGroup(sd, out group, out defaulted);
                GetSecurityDescriptorDacl(sd, out present, out dacl, out defaulted);
                ushort control;
                uint revision;
                GetSecurityDescriptorControl(sd, out control, out revision);
                p.HasOwner = owner != IntPtr.Zero;
                p.HasGroup = group != IntPtr.Zero;
                p.HasDacl = present;
                p.Protected = (control & SE_DACL_PROTECTED) != 0;
                return p;
            }
            finally
            {
                LocalFree(sd);
            }
        }

        // Applies the chosen parts of an SDDL string exactly as written:
        // the DACL's explicit ACEs in their order, protected or not as its
        // P flag says. SetNamedSecurityInfoW then re-inherits an
        // unprotected DACL's inherited ACEs from the parent and propagates
        // inheritable ACEs to every child that inherits, as Windows does
        // for any DACL change.
        public static void Apply(string path, string sddl, bool setOwner, bool setGroup, bool setDacl)
        {
            IntPtr sd = Convert(sddl);
            try
            {
                IntPtr owner, group, dacl;
                bool defaulted, present;
                uint info = 0;
                GetSecurityDescriptorOwner(sd, out owner, out defaulted);
                GetSecurityDescriptorGroup(sd, out group, out defaulted);
                GetSecurityDescriptorDacl(sd, out present, out dacl, out defaulted);
                ushort control;
                uint revision;
                GetSecurityDescriptorControl(sd, out control, out revision);
                if (setOwner)
                {
                    info |= OWNER_SECURITY_INFORMATION;
                }
                if (setGroup)
                {
                    info |= GROUP_SECURITY_INFORMATION;
                }
                if (setDacl)
                {
                    info |= DACL_SECURITY_INFORMATION;
                    info |= (control & SE_DACL_PROTECTED) != 0 ? PROTECTED_DACL_SECURITY_INFORMATION : UNPROTECTED_DACL_SECURITY_INFORMATION;
                }
                int err = SetNamedSecurityInfoW(path, SE_FILE_OBJECT, info,
                    setOwner ? owner : IntPtr.Zero, setGroup ? group : IntPtr.Zero, setDacl ? dacl : IntPtr.Zero, IntPtr.Zero);
                if (err != 0)
                {
                    throw new Win32Exception(err);
                }
            }
            finally
            {
                LocalFree(sd);
            }
        }

        static IntPtr Convert(string sddl)
        {
            IntPtr sd;
            if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, out sd, IntPtr.Zero))
            {
                throw new ArgumentException("not a security descriptor string: " + new Win32Exception(Marshal.GetLastWin32Error()).Message);
            }
            return sd;
        }
    }

    // A service's configuration written through the SCM
    // (ChangeServiceConfigW, ChangeServiceConfig2W), as sc.exe config does:
    // the SCM keeps it in memory, so writing the service's registry key
    // would not take effect before a restart.
    public static class ServiceConfig
    {
        const uint SC_MANAGER_CONNECT = 0x1;
        const uint SERVICE_QUERY_CONFIG = 0x1;
        const uint SERVICE_CHANGE_CONFIG = 0x2;
        const uint SERVICE_START = 0x10;
        const uint SERVICE_NO_CHANGE = 0xffffffff;
        const int SERVICE_CONFIG_DESCRIPTION = 1;
        const int SERVICE_CONFIG_FAILURE_ACTIONS = 2;

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        struct SERVICE_DESCRIPTION
        {
            public string lpDescription;
        }

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        struct SERVICE_FAILURE_ACTIONS
        {
            public uint dwResetPeriod;
            public string lpRebootMsg;
            public string lpCommand;
            public uint cActions;
            public IntPtr lpsaActions;
        }

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern IntPtr OpenSCManagerW(string machine, string database, uint access);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern IntPtr OpenServiceW(IntPtr scm, string name, uint access);

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool CloseServiceHandle(IntPtr handle);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool ChangeServiceConfigW(IntPtr service, uint type, uint start, uint errorControl, string binaryPath,
            string loadOrderGroup, IntPtr tagId, string dependencies, string startName, string password, string displayName);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool ChangeServiceConfig2W(IntPtr service, int level, ref SERVICE_DESCRIPTION info);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool ChangeServiceConfig2W(IntPtr service, int level, ref SERVICE_FAILURE_ACTIONS info);

        // Sets what is not null: start (0-4, or -1 to keep), image path,
        // account, display name, dependencies (services, empty to clear),
        // description, and failure actions as the FailureActions registry
        // value stores them (a 20-byte SERVICE_FAILURE_ACTIONS header, the
        // reset period first and the action count at offset 12, then 8
        // bytes per action: type and delay).
        public static void Configure(string name, int start, string imagePath, string objectName, string displayName,
            string[] dependencies, string description, byte[] failureActions)
        {
            IntPtr scm = OpenSCManagerW(null, null, SC_MANAGER_CONNECT);
            if (scm == IntPtr.Zero)
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }
            try
            {
                IntPtr svc = OpenServiceW(scm, name, SERVICE_QUERY_CONFIG | SERVICE_CHANGE_CONFIG | SERVICE_START);
                if (svc == IntPtr.Zero)
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
                try
                {
                    string deps = null;
                    if (dependencies != null)
                    {
                        deps = dependencies.Length == 0 ? "\0" : string.Join("\0", dependencies) + "\0\0";
                    }
                    uint st = start < 0 ? SERVICE_NO_CHANGE : (uint)start;
                    if (!ChangeServiceConfigW(svc, SERVICE_NO_CHANGE, st, SERVICE_NO_CHANGE, imagePath, null, IntPtr.Zero,
                        deps, objectName, null, displayName))
                    {
                        throw new Win32Exception(Marshal.GetLastWin32Error());
                    }
                    if (description != null)
                    {
                        SERVICE_DESCRIPTION d = new SERVICE_DESCRIPTION();
                        d.lpDescription = description;
                        if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, ref d))
                        {
                            throw new Win32Exception(Marshal.GetLastWin32Error());
                        }
                    }
                    if (failureActions != null)
                    {
                        SetFailureActions(svc, failureActions);
                    }
                }
                finally
                {
                    CloseServiceHandle(svc);
                }
            }
            finally
            {
                CloseServiceHandle(scm);
            }
        }

        static void SetFailureActions(IntPtr svc, byte[] value)
        {
            if (value.Length < 20)
            {
                throw new ArgumentException("FailureActions is shorter than its 20-byte header");
            }
            uint count = BitConverter.ToUInt32(value, 12);
            if (count > 1024 || value.Length < 20 + 8 * count)
            {
                throw new ArgumentException("FailureActions holds fewer actions than its header counts");
            }
            SERVICE_FAILURE_ACTIONS fa = new SERVICE_FAILURE_ACTIONS();
            fa.dwResetPeriod = BitConverter.ToUInt32(value, 0);
            fa.cActions = count;
            IntPtr actions = Marshal.AllocHGlobal((int)(8 * count) + 8);
            try
            {
                Marshal.Copy(value, 20, actions, (int)(8 * count));
                // A non-null array with no actions clears them; the reboot
                // message and command are separate values, left as they are.
                fa.lpsaActions = actions;
                if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, ref fa))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
            }
            finally
            {
                Marshal.FreeHGlobal(actions);
            }
        }
    }

    // The processes holding files open, through the Restart Manager.
    public static class Holders
    {
        const int CCH_RM_SESSION_KEY = 32;
        const int ERROR_MORE_DATA = 234;

        [StructLayout(LayoutKind.Sequential)]
        struct RM_UNIQUE_PROCESS
        {
            public int dwProcessId;
            public System.Runtime.InteropServices.ComTypes.FILETIME ProcessStartTime;
        }

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        struct RM_PROCESS_INFO
        {
            public RM_UNIQUE_PROCESS Process;
            [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 256)]
            public string strAppName;
            [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 64)]
            public string strServiceShortName;
            public int ApplicationType;
            public uint AppStatus;
            public uint TSSessionId;
            [MarshalAs(UnmanagedType.Bool)]
            public bool bRestartable;
        }

        [DllImport("rstrtmgr.dll", CharSet = CharSet.Unicode)]
        static extern int RmStartSession(out uint session, int flags, StringBuilder key);

        [DllImport("rstrtmgr.dll")]
        static extern int RmEndSession(uint session);

        [DllImport("rstrtmgr.dll", CharSet = CharSet.Unicode)]
        static extern int RmRegisterResources(uint session, uint nFiles, string[] files, uint nApps, IntPtr apps, uint nServices, string[] services);

        [DllImport("rstrtmgr.dll")]
        static extern int RmGetList(uint session, out uint needed, ref uint count, [In, Out] RM_PROCESS_INFO[] info, ref uint reasons);

        // "name (PID n[, service s])" of each process holding one of files.
        public static string[] Of(string[] files)
        {
            uint session;
            StringBuilder key = new StringBuilder(CCH_RM_SESSION_KEY + 1);
            int err = RmStartSession(out session, 0, key);
            if (err != 0)
            {
                throw new Win32Exception(err);
            }
            try
            {
                err = RmRegisterResources(session, (uint)files.Length, files, 0, IntPtr.Zero, 0, null);
                if (err != 0)
                {
                    throw new Win32Exception(err);
                }
                uint needed, count = 0, reasons = 0;
                RM_PROCESS_INFO[] info = null;
                err = RmGetList(session, out needed, ref count, null, ref reasons);
                if (err == ERROR_MORE_DATA)
                {
                    info = new RM_PROCESS_INFO[needed];
                    count = needed;
                    err = RmGetList(session, out needed, ref count, info, ref reasons);
                }
                if (err != 0)
                {
                    throw new Win32Exception(err);
                }
                string[] out_ = new string[count];
                for (int i = 0; i < count; i++)
                {
                    string s = info[i].strAppName + " (PID " + info[i].Process.dwProcessId;
                    if (!string.IsNullOrEmpty(info[i].strServiceShortName))
                    {
                        s += ", service " + info[i].strServiceShortName;
                    }
                    out_[i] = s + ")";
                }
                return out_;
            }
            finally
            {
                RmEndSession(session);
            }
        }
    }

    // A token group: its SID and SE_GROUP_* attributes.
    public sealed class TokenGroup
    {
        public string Sid;
        public uint Attributes;
    }

    // A privilege a token holds and whether it is enabled.
    public sealed class TokenPrivilege
    {
        public string Name;
        public bool Enabled;
    }

    // A token's groups and privileges, as whoami /groups /priv reads them
    // (GetTokenInformation TokenGroups and TokenPrivileges).
    public static class TokenReader
    {
        const int TokenGroupsClass = 2;
        const int TokenPrivilegesClass = 3;
        const uint SE_PRIVILEGE_ENABLED = 2;
        const int ERROR_INSUFFICIENT_BUFFER = 122;

        [StructLayout(LayoutKind.Sequential)]
        struct LUID
        {
            public uint LowPart;
            public int HighPart;
        }

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool GetTokenInformation(IntPtr token, int infoClass, IntPtr info, int length, out int returned);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool LookupPrivilegeNameW(string system, ref LUID luid, StringBuilder name, ref int size);

        // The token information of a class, in a buffer the caller frees.
        static IntPtr Query(IntPtr token, int infoClass)
        {
            int size;
            if (!GetTokenInformation(token, infoClass, IntPtr.Zero, 0, out size))
            {
                int err = Marshal.GetLastWin32Error();
                if (err != ERROR_INSUFFICIENT_BUFFER)
                {
                    throw new Win32Exception(err);
                }
            }
            IntPtr buffer = Marshal.AllocHGlobal(size);
            if (!GetTokenInformation(token, infoClass, buffer, size, out size))
            {
                int err = Marshal.GetLastWin32Error();
                Marshal.FreeHGlobal(buffer);
                throw new Win32Exception(err);
            }
            return buffer;
        }

        // TOKEN_GROUPS: a DWORD count, then SID_AND_ATTRIBUTES entries
        // (a PSID and a DWORD) aligned to a pointer.
        public static TokenGroup[] Groups(IntPtr token)
        {
            IntPtr buffer = Query(token, TokenGroupsClass);
            try
            {
                int count = Marshal.ReadInt32(buffer);
                TokenGroup[] groups = new TokenGroup[count];
                for (int i = 0; i < count; i++)
                {
                    IntPtr entry = IntPtr.Add(buffer, IntPtr.Size + i * 2 * IntPtr.Size);
                    TokenGroup g = new TokenGroup();
                    g.Sid = new SecurityIdentifier(Marshal.ReadIntPtr(entry)).Value;
                    g.Attributes = unchecked((uint)Marshal.ReadInt32(entry, IntPtr.Size));
                    groups[i] = g;
                }
                return groups;
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        // TOKEN_PRIVILEGES: a DWORD count, then LUID_AND_ATTRIBUTES
        // entries (a LUID and a DWORD, 12 bytes).
        public static TokenPrivilege[] Privileges(IntPtr token)
        {
            IntPtr buffer = Query(token, TokenPrivilegesClass);
            try
            {
                int count = Marshal.ReadInt32(buffer);
                TokenPrivilege[] privileges = new TokenPrivilege[count];
                for (int i = 0; i < count; i++)
                {
                    int offset = 4 + i * 12;
                    LUID luid = new LUID();
                    luid.LowPart = unchecked((uint)Marshal.ReadInt32(buffer, offset));
                    luid.HighPart = Marshal.ReadInt32(buffer, offset + 4);
                    uint attributes = unchecked((uint)Marshal.ReadInt32(buffer, offset + 8));
                    int size = 64;
                    StringBuilder name = new StringBuilder(size);
                    if (!LookupPrivilegeNameW(null, ref luid, name, ref size))
                    {
                        throw new Win32Exception(Marshal.GetLastWin32Error());
                    }
                    TokenPrivilege p = new TokenPrivilege();
                    p.Name = name.ToString();
                    p.Enabled = (attributes & SE_PRIVILEGE_ENABLED) != 0;
                    privileges[i] = p;
                }
                return privileges;
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
    }

    // Privileges, user hives and user rights.
    public static class Native
    {
        const int SE_PRIVILEGE_ENABLED = 2;
        const int TOKEN_ADJUST_PRIVILEGES = 0x20;
        const int TOKEN_QUERY = 0x8;
        static readonly IntPtr HKEY_USERS = new IntPtr(unchecked((int)0x80000003));
        const uint POLICY_VIEW_LOCAL_INFORMATION = 0x1;
        const uint POLICY_LOOKUP_NAMES = 0x800;
        const uint STATUS_NO_MORE_ENTRIES = 0x8000001A;

        [StructLayout(LayoutKind.Sequential)]
        struct LUID
        {
            public uint LowPart;
            public int HighPart;
        }

        [StructLayout(LayoutKind.Sequential)]
        struct TOKEN_PRIVILEGES
        {
            public int PrivilegeCount;
            public LUID Luid;
            public int Attributes;
        }

        [StructLayout(LayoutKind.Sequential)]
        struct LSA_UNICODE_STRING
        {
            public ushort Length;
            public ushort MaximumLength;
            public IntPtr Buffer;
        }

        [StructLayout(LayoutKind.Sequential)]
        struct LSA_OBJECT_ATTRIBUTES
        {
            public int Length;
            public IntPtr RootDirectory, ObjectName;
            public uint Attributes;
            public IntPtr SecurityDescriptor, SecurityQualityOfService;
        }

        [DllImport("kernel32.dll")]
        static extern IntPtr GetCurrentProcess();

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool OpenProcessToken(IntPtr process, int access, out IntPtr token);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool LookupPrivilegeValueW(string system, string name, out LUID luid);

        [DllImport("advapi32.dll", SetLastError = true)]
        static extern bool AdjustTokenPrivileges(IntPtr token, bool disableAll, ref TOKEN_PRIVILEGES state, int length, IntPtr previous, IntPtr returned);

        [DllImport("kernel32.dll", SetLastError = true)]
        static extern bool CloseHandle(IntPtr handle);

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
        static extern int RegLoadKeyW(IntPtr key, string subKey, string file);

        [DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
        static extern int RegUnLoadKeyW(IntPtr key, string subKey);

        [DllImport("advapi32.dll")]
        static extern uint LsaOpenPolicy(IntPtr system, ref LSA_OBJECT_ATTRIBUTES attributes, uint access, out IntPtr policy);

        [DllImport("advapi32.dll")]
        static extern uint LsaEnumerateAccountsWithUserRight(IntPtr policy, ref LSA_UNICODE_STRING right, out IntPtr buffer, out int count);

        [DllImport("advapi32.dll")]
        static extern int LsaNtStatusToWinError(uint status);

        [DllImport("advapi32.dll")]
        static extern uint LsaFreeMemory(IntPtr buffer);

        [DllImport("advapi32.dll")]
        static extern uint LsaClose(IntPtr policy);

        // Enables a privilege the process token holds (RegLoadKey needs
        // SeRestorePrivilege and SeBackupPrivilege enabled; an elevated
        // administrator holds them disabled).
        public static void EnablePrivilege(string name)
        {
            IntPtr token;
            if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, out token))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }
            try
            {
                TOKEN_PRIVILEGES tp = new TOKEN_PRIVILEGES();
                tp.PrivilegeCount = 1;
                tp.Attributes = SE_PRIVILEGE_ENABLED;
                if (!LookupPrivilegeValueW(null, name, out tp.Luid))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
                if (!AdjustTokenPrivileges(token, false, ref tp, 0, IntPtr.Zero, IntPtr.Zero))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }
                int err = Marshal.GetLastWin32Error();
                if (err != 0)
                {
                    throw new Win32Exception(err); // ERROR_NOT_ALL_ASSIGNED: not held
                }
            }
            finally
            {
                CloseHandle(token);
            }
        }

        // Loads a hive file at HKEY_USERS\<name>.
        public static void LoadHive(string name, string file)
        {
            int err = RegLoadKeyW(HKEY_USERS, name, file);
            if (err != 0)
            {
                throw new Win32Exception(err);
            }
        }

        // Unloads HKEY_USERS\<name>.
        public static void UnloadHive(string name)
        {
            int err = RegUnLoadKeyW(HKEY_USERS, name);
            if (err != 0)
            {
                throw new Win32Exception(err);
            }
        }

        // The SIDs a user right is assigned to (none: an empty array).
        public static string[] AccountsWithRight(string right)
        {
            LSA_OBJECT_ATTRIBUTES attributes = new LSA_OBJECT_ATTRIBUTES();
            attributes.Length = Marshal.SizeOf(typeof(LSA_OBJECT_ATTRIBUTES));
            IntPtr policy;
            uint status = LsaOpenPolicy(IntPtr.Zero, ref attributes, POLICY_VIEW_LOCAL_INFORMATION | POLICY_LOOKUP_NAMES, out policy);
            if (status != 0)
            {
                throw new Win32Exception(LsaNtStatusToWinError(status));
            }
            LSA_UNICODE_STRING name = new LSA_UNICODE_STRING();
            name.Buffer = Marshal.StringToHGlobalUni(right);
            name.Length = (ushort)(right.Length * 2);
            name.MaximumLength = (ushort)(name.Length + 2);
            try
            {
                IntPtr buffer;
                int count;
                status = LsaEnumerateAccountsWithUserRight(policy, ref name, out buffer, out count);
                if (status == STATUS_NO_MORE_ENTRIES)
                {
                    return new string[0];
                }
                if (status != 0)
                {
                    throw new Win32Exception(LsaNtStatusToWinError(status));
                }
                try
                {
                    string[] sids = new string[count];
                    for (int i = 0; i < count; i++)
                    {
                        IntPtr sid = Marshal.ReadIntPtr(buffer, i * IntPtr.Size);
                        sids[i] = new SecurityIdentifier(sid).Value;
                    }
                    return sids;
                }
                finally
                {
                    LsaFreeMemory(buffer);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(name.Buffer);
                LsaClose(policy);
            }
        }
    }
}
"@

# msilab's own scratch folder, C:\ProgramData\msilab\staging: SYSTEM and
# Administrators only (protected), so no fault ever touches it (the
# user-temp fault breaks a user's %TEMP%). Created when missing.
# Directory.CreateDirectory(String, DirectorySecurity): https://learn.microsoft.com/dotnet/api/system.io.directory.createdirectory?view=netframework-4.8
function Get-MsiLabStagingDir {
    $dir = Join-Path $env:ProgramData 'msilab\staging'
    if (-not [System.IO.Directory]::Exists($dir)) {
        $security = [System.Security.AccessControl.DirectorySecurity]::new()
        $security.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)')
        [void][System.IO.Directory]::CreateDirectory($dir, $security)
    }
    return $dir
}

# Compiles the C# helpers once per process. Add-Type's compiler keeps its
# temporary files in %TEMP% (CodeDom's TempFileCollection, Path.GetTempPath,
# which reads TMP then TEMP), which the user-temp fault may have broken for
# this very account: they go to the staging folder, for the compile only.
# Add-Type: https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/add-type?view=powershell-5.1
# Path.GetTempPath: https://learn.microsoft.com/dotnet/api/system.io.path.gettemppath?view=netframework-4.8
function Import-MsiLabNative {
    if ($null -ne ('MsiLab.Native' -as [type])) { return }
    $saved = @{ TMP = $env:TMP; TEMP = $env:TEMP }
    try {
        $env:TMP = Get-MsiLabStagingDir
        $env:TEMP = $env:TMP
        Add-Type -TypeDefinition $script:MsiLabNativeSource -Language CSharp
    } finally { $env:TMP = $saved.TMP; $env:TEMP = $saved.TEMP }
}

# The passwords the batch carries beside its ops (the request's logons),
# set by Invoke-MsiLabBatch for its ops only.
$script:MsiLabLogons = @()

# The password the batch gives an account: the last logon whose name,
# after any HOST\ or .\, is the account's (compared case-insensitively).
function Get-MsiLabLogonPassword {
    param([string] $Account)
    $bare = $Account.Substring($Account.LastIndexOf('\') + 1)
    $found = $null
    foreach ($l in $script:MsiLabLogons) {
        $user = [string]$l.user
        if ($user.Substring($user.LastIndexOf('\') + 1) -eq $bare) { $found = [string]$l.password }
    }
    if ($null -eq $found) { throw (New-MsiLabError 'InvalidArgs' "no password for $bare in the batch's logons: the interactive logon needs it") }
    return $found
}

# Which user right refuses an account's interactive logon (LogonUser's
# 1385): "Deny log on locally" when it names the account or a group every
# local account is in (and Administrators for an administrator), else the
# missing "Allow log on locally" (G: LogonUser does not say which).
# https://learn.microsoft.com/windows/security/threat-protection/security-policy-settings/allow-log-on-locally
function Get-MsiLabRefusingRight {
    param([string] $Sid)
    $mine = @($Sid, 'S-1-1-0', 'S-1-5-11', 'S-1-5-113', 'S-1-5-4', $script:MsiLabUsersSid)
    if (Test-MsiLabGroupMember $script:MsiLabAdminsSid $Sid) { $mine += $script:MsiLabAdminsSid }
    foreach ($holder in [MsiLab.Native]::AccountsWithRight('SeDenyInteractiveLogonRight')) {
        if ($mine -contains $holder) { return 'SeDenyInteractiveLogonRight' }
    }
    return 'SeInteractiveLogonRight'
}

# Logs a local account on interactively with the batch's password for it:
# @{ logon (an MsiLab.InteractiveLogon, or $null); refusal } where a
# refusal is @{ win32; right; message } with the messages the simulated
# host gives (lab/sim/logon.go).
# System error codes 1326, 1331, 1385: https://learn.microsoft.com/windows/win32/debug/system-error-codes--1300-1699-
function Invoke-MsiLabLogonUser {
    param([string] $Account, [string] $Sid)
    Import-MsiLabNative
    $password = Get-MsiLabLogonPassword $Account
    try { return @{ logon = [MsiLab.InteractiveLogon]::Create($Account, $password); refusal = $null } }
    catch {
        $caught = $_
        $win32 = Get-MsiLabWin32Code $caught.Exception
        $refusal = @{ win32 = $win32; right = ''; message = '' }
        switch ($win32) {
            1326 { $refusal.message = "LogonUser $Account (interactive): The user name or password is incorrect." }
            1331 { $refusal.message = "LogonUser $Account (interactive): This user can't sign in because this account is currently disabled." }
            1385 {
                $refusal.right = Get-MsiLabRefusingRight $Sid
                if ($refusal.right -eq 'SeDenyInteractiveLogonRight') {
                    $refusal.message = "$Account may not log on interactively: it holds the user right `"Deny log on locally`" (SeDenyInteractiveLogonRight)"
                } else {
                    $refusal.message = "$Account may not log on interactively: it lacks the user right `"Allow log on locally`" (SeInteractiveLogonRight)"
                }
            }
            default { throw $caught }
        }
        return @{ logon = $null; refusal = $refusal }
    }
}

# An account's interactive logon with its profile loaded, or the refusal
# as an op error (AccessDenied with LogonUser's code). LoadUserProfile
# needs an administrator (and this one enables its restore and backup
# privileges for it); the first logon creates the profile.
function New-MsiLabInteractiveLogon {
    param([string] $Account, [string] $Sid)
    $attempt = Invoke-MsiLabLogonUser $Account $Sid
    if ($null -ne $attempt.refusal) { throw (New-MsiLabError 'AccessDenied' $attempt.refusal.message $attempt.refusal.win32) }
    try {
        [MsiLab.Native]::EnablePrivilege('SeRestorePrivilege')
        [MsiLab.Native]::EnablePrivilege('SeBackupPrivilege')
        [void]$attempt.logon.LoadProfile()
    } catch { $attempt.logon.Dispose(); throw }
    return $attempt.logon
}

# user.logon: logs a local user on interactively with its password from
# the batch's logons and loads its profile, as the non-elevated contexts
# do; a refusal is a result that names the right (ops.UserLogon).
# ProfileList: https://learn.microsoft.com/windows/win32/shell/user-profiles
function Invoke-MsiLabUserLogon {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('name')
    $name = Get-MsiLabUserName $OpArgs
    $user = Find-MsiLabLocalUser $name
    if ($null -eq $user) { throw (New-MsiLabError 'NotFound' "no local user $name (user.ensure creates it)" 1332) }
    $sid = $user.SID.Value
    $out = [ordered]@{ name = $user.Name; sid = $sid; logon = 'interactive-logon'; ok = $false }
    $listed = Open-MsiLabRegKey "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$sid"
    if ($null -ne $listed) { $listed.Close() }
    $attempt = Invoke-MsiLabLogonUser $user.Name $sid
    if ($null -ne $attempt.refusal) {
        if ($attempt.refusal.right -ne '') { $out.right = $attempt.refusal.right }
        $out.win32 = $attempt.refusal.win32
        $out.message = $attempt.refusal.message
        return $out
    }
    try {
        [MsiLab.Native]::EnablePrivilege('SeRestorePrivilege')
        [MsiLab.Native]::EnablePrivilege('SeBackupPrivilege')
        $out.profile = $attempt.logon.LoadProfile()
        if ($null -eq $listed) { $out.profile_created = $true }
        $out.ok = $true
    } finally { $attempt.logon.Dispose() }
    return $out
}

# A token's groups and privileges (MsiLab.TokenReader) as user.token
# returns them: each group's SID, name ('' when it does not translate) and
# SE_GROUP_* attributes.
# GetTokenInformation: https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-gettokeninformation
# SID attributes: https://learn.microsoft.com/windows/win32/secauthz/sid-attributes-in-an-access-token
function Get-MsiLabTokenContents {
    param([IntPtr] $Token)
    $groups = @(foreach ($g in [MsiLab.TokenReader]::Groups($Token)) {
            $name = ''
            try { $name = ([System.Security.Principal.SecurityIdentifier]$g.Sid).Translate([System.Security.Principal.NTAccount]).Value } catch { }
            [ordered]@{ sid = $g.Sid; name = $name; attributes = [long]$g.Attributes }
        })
    $privileges = @(foreach ($p in [MsiLab.TokenReader]::Privileges($Token)) { [ordered]@{ name = $p.Name; enabled = $p.Enabled } })
    return @{ groups = $groups; privileges = $privileges }
}

# user.token: the token a context's default logon gives, as msi.install
# obtains it: admin-elevated this WinRM session's own; admin-filtered the
# connecting administrator's and standard-user the lab user's interactive
# logon (passwords from the batch's logons). The system context's token
# needs a process running as LocalSystem, which this op does not start:
# NotSupported, on the simulated host too.
function Get-MsiLabUserToken {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('context', 'user')
    $context = Get-MsiLabMsiContext $OpArgs
    if ($context -ne 'standard-user' -and (Get-MsiLabString $OpArgs 'user' -Optional) -ne '') {
        throw (New-MsiLabError 'InvalidArgs' 'user applies to the standard-user context only')
    }
    if ($context -eq 'system') {
        throw (New-MsiLabError 'NotSupported' "user.token does not read the system context's token: it needs a process running as LocalSystem")
    }
    Import-MsiLabNative
    $account = Get-MsiLabMsiAccount $context (Get-MsiLabUserName $OpArgs 'user' 'msilab-user')
    $out = [ordered]@{ context = $context; logon = $script:MsiLabContextLogons[$context][0]; user = $account.name; sid = $account.sid }
    if ($context -eq 'admin-elevated') {
        $id = [System.Security.Principal.WindowsIdentity]::GetCurrent()
        try { $contents = Get-MsiLabTokenContents $id.Token } finally { $id.Dispose() }
    } else {
        $name = $account.name.Substring($account.name.LastIndexOf('\') + 1)
        $logon = New-MsiLabInteractiveLogon $name $account.sid
        try {
            if ($context -eq 'admin-filtered' -and $logon.ElevationType -ne 3) {
                throw (New-MsiLabError 'NotSupported' ("$name's interactive token is not UAC-filtered (the built-in Administrator outside Admin Approval Mode, or UAC " +
                        'turned off): admin-filtered needs another administrator account under UAC'))
            }
            $contents = Get-MsiLabTokenContents $logon.Token
        } finally { $logon.Dispose() }
    }
    $out.groups = $contents.groups
    $out.privileges = $contents.privileges
    return $out
}

# The local account SID of the user hive a registry op's path lies in
# (HKU\S-1-5-21-...), or ''.
function Get-MsiLabUserHiveSid {
    param($OpArgs)
    $path = Get-MsiLabArgValue $OpArgs 'path'
    if ($path -isnot [string]) { return '' }
    if ($path -match '^(HKU|HKEY_USERS):?\\(S-1-5-21-\d+(-\d+)+)(\\|$)') { return $Matches[2] }
    return ''
}

# Loads a user's hive at HKU\<SID> from the NTUSER.DAT in its profile
# (ProfileList's ProfileImagePath) when it is not loaded (the user is not
# logged on), for one registry op: whether it loaded it. A user without a
# profile has no hive: nothing is loaded.
# RegLoadKey: https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regloadkeyw
function Mount-MsiLabUserHive {
    param([string] $Sid)
    $users = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::Users, [Microsoft.Win32.RegistryView]::Registry64)
    $loaded = $users.OpenSubKey($Sid)
    if ($null -ne $loaded) { $loaded.Close(); return $false }
    $list = Open-MsiLabRegKey "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\$Sid"
    if ($null -eq $list) { return $false }
    try { $dir = [System.Environment]::ExpandEnvironmentVariables([string]$list.GetValue('ProfileImagePath', '')) }
    finally { $list.Close() }
    if ($dir -eq '' -or -not [System.IO.File]::Exists((Join-Path $dir 'NTUSER.DAT'))) { return $false }
    Import-MsiLabNative
    [MsiLab.Native]::EnablePrivilege('SeRestorePrivilege')
    [MsiLab.Native]::EnablePrivilege('SeBackupPrivilege')
    [MsiLab.Native]::LoadHive($Sid, (Join-Path $dir 'NTUSER.DAT'))
    return $true
}

# Unloads a hive Mount-MsiLabUserHive loaded. Registry keys the op left to
# the garbage collector would keep the hive open, so they are finalized
# first. RegUnLoadKey: https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regunloadkeyw
function Dismount-MsiLabUserHive {
    param([string] $Sid)
    [System.GC]::Collect()
    [System.GC]::WaitForPendingFinalizers()
    [MsiLab.Native]::UnloadHive($Sid)
}

#endregion
#region Windows Installer

# The context argument ('' is admin-elevated), compared case-sensitively as
# the simulated host does (lab/ops/msi.go Contexts).
# https://learn.microsoft.com/windows/security/application-security/application-control/user-account-control/how-it-works
function Get-MsiLabMsiContext {
    param($OpArgs)
    $context = Get-MsiLabString $OpArgs 'context' -Optional
    if ($context -eq '') { return 'admin-elevated' }
    if ($script:MsiLabContexts -ccontains $context) { return $context }
    throw (New-MsiLabError 'InvalidArgs' ('context must be one of {0}, not {1}' -f ($script:MsiLabContexts -join ', '), $context))
}

# The ui argument: 'none' ('' too) is /qn. 'full' needs someone to accept a
# UAC prompt on the host's desktop, which nobody can over WinRM.
# https://learn.microsoft.com/windows/win32/msi/standard-installer-command-line-options
function Assert-MsiLabMsiUI {
    param($OpArgs)
    $ui = Get-MsiLabString $OpArgs 'ui' -Optional
    if ($ui -ceq 'full') { throw (New-MsiLabError 'NotSupported' 'ui "full" needs someone to accept a UAC prompt; a real host over WinRM has nobody (use "none")') }
    if ($ui -cne '' -and $ui -cne 'none') { throw (New-MsiLabError 'InvalidArgs' "ui must be `"none`" or `"full`", not $ui") }
}

# The properties argument as command-line text: ' NAME="value"' per
# property, sorted by name (ordinal). Public property names have no
# lower-case letters; a value is one quoted literal, so '"' (which msiexec
# would take as the end of it, or need doubled) and control characters are
# refused rather than escaped.
# Public properties: https://learn.microsoft.com/windows/win32/msi/public-properties
# https://learn.microsoft.com/windows/win32/msi/setting-public-property-values-on-the-command-line
function Get-MsiLabMsiProperties {
    param($OpArgs)
    $props = Get-MsiLabArgValue $OpArgs 'properties'
    if ($null -eq $props) { return '' }
    if ($props -isnot [System.Management.Automation.PSCustomObject]) {
        throw (New-MsiLabError 'InvalidArgs' 'argument properties must be an object of NAME: "value"')
    }
    $names = New-Object 'System.Collections.Generic.List[string]'
    foreach ($p in $props.PSObject.Properties) { $names.Add($p.Name) }
    $names.Sort([System.StringComparer]::Ordinal)
    $text = New-Object System.Text.StringBuilder
    foreach ($n in $names) {
        $v = $props.PSObject.Properties[$n].Value
        if ($n -cnotmatch '^[A-Z][A-Z0-9_.]*$') { throw (New-MsiLabError 'InvalidArgs' "invalid property name: $n") }
        if ($v -isnot [string] -or $v -match '["\p{Cc}]') {
            throw (New-MsiLabError 'InvalidArgs' "property $n must be a string without double quotes or control characters")
        }
        [void]$text.AppendFormat(' {0}="{1}"', $n, $v)
    }
    return $text.ToString()
}

# The arguments msi.install and msi.uninstall share: context, user (the
# standard-user account, default msilab-user; InvalidArgs with another
# context, as on the simulated host), properties (as command-line text), ui,
# logon (one of the context's, default its first) and timeout_seconds (0 is
# 900).
# https://learn.microsoft.com/windows/win32/msi/command-line-options
function Get-MsiLabMsiRunArgs {
    param($OpArgs)
    $timeout = [int](Get-MsiLabNumber $OpArgs 'timeout_seconds' 0 7200 0)
    if ($timeout -eq 0) { $timeout = 900 }
    $run = @{ context = (Get-MsiLabMsiContext $OpArgs); timeout = $timeout }
    if ($run.context -ne 'standard-user' -and (Get-MsiLabString $OpArgs 'user' -Optional) -ne '') {
        throw (New-MsiLabError 'InvalidArgs' 'user applies to the standard-user context only')
    }
    $run.user = Get-MsiLabUserName $OpArgs 'user' 'msilab-user'
    $run.properties = Get-MsiLabMsiProperties $OpArgs
    Assert-MsiLabMsiUI $OpArgs
    $allowed = $script:MsiLabContextLogons[$run.context]
    $run.logon = Get-MsiLabString $OpArgs 'logon' -Optional
    if ($run.logon -eq '') { $run.logon = $allowed[0] }
    if ($allowed -cnotcontains $run.logon) {
        throw (New-MsiLabError 'InvalidArgs' ('logon of the {0} context must be one of {1}' -f $run.context, ($allowed -join ', ')))
    }
    return $run
}

# An .msi path argument that must exist as a file (else NotFound, Win32 2;
# File.Exists is false for a folder). A path with '"' could not exist, but
# it is refused before it can reach a command line.
# https://learn.microsoft.com/dotnet/api/system.io.file.exists
function Get-MsiLabMsiPackage {
    param($OpArgs, [string] $Name)
    $path = Get-MsiLabPath $OpArgs $Name
    if ($path -match '["\p{Cc}]') { throw (New-MsiLabError 'InvalidArgs' "invalid package path: $path" 123) }
    if (-not [System.IO.File]::Exists($path)) { throw (New-MsiLabError 'NotFound' "no package file $path" 2) }
    return $path
}

# msi.uninstall's product: a ProductCode GUID, upper-cased (a ProductCode
# has all letters upper-case), or the path of an existing .msi.
# ProductCode: https://learn.microsoft.com/windows/win32/msi/productcode
function Get-MsiLabMsiProduct {
    param($OpArgs)
    $product = Get-MsiLabString $OpArgs 'product'
    if (-not $product.StartsWith('{')) { return (Get-MsiLabMsiPackage $OpArgs 'product') }
    if ($product -notmatch '^\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}$') {
        throw (New-MsiLabError 'InvalidArgs' "product must be a ProductCode like {01234567-89AB-CDEF-0123-456789ABCDEF} or an .msi path, not $product" 87)
    }
    return $product.ToUpperInvariant()
}

# The account msiexec runs as in a context: @{name; sid}. admin-elevated
# and admin-filtered are the batch's own user; standard-user's local user
# must exist (NotFound, Win32 1332 ERROR_NONE_MAPPED) and not be in
# Administrators (InvalidArgs, as on the simulated host).
# WindowsIdentity.GetCurrent: https://learn.microsoft.com/dotnet/api/system.security.principal.windowsidentity.getcurrent
# Well-known SIDs (S-1-5-18 LocalSystem): https://learn.microsoft.com/windows/win32/secauthz/well-known-sids
function Get-MsiLabMsiAccount {
    param([string] $Context, [string] $UserName)
    if ($Context -eq 'system') { return @{ name = 'NT AUTHORITY\SYSTEM'; sid = 'S-1-5-18' } }
    if ($Context -ne 'standard-user') {
        $id = [System.Security.Principal.WindowsIdentity]::GetCurrent()
        return @{ name = $id.Name; sid = $id.User.Value }
    }
    $user = Find-MsiLabLocalUser $UserName
    if ($null -eq $user) { throw (New-MsiLabError 'NotFound' "no local user $UserName (user.ensure creates it)" 1332) }
    if (Test-MsiLabGroupMember $script:MsiLabAdminsSid $user.SID.Value) {
        throw (New-MsiLabError 'InvalidArgs' "$UserName is an administrator, not a standard user")
    }
    return @{ name = ('{0}\{1}' -f $env:COMPUTERNAME, $user.Name); sid = $user.SID.Value }
}

# A fresh folder for one run's log, C:\ProgramData\msilab\runs\<guid>, with
# a protected DACL: full control for SYSTEM (the Windows Installer service),
# Administrators and the run's account by its own SID (a UAC-filtered token
# holds Administrators for deny only). The parent is created first: the
# overload with a DirectorySecurity applies it to every folder it creates.
# Directory.CreateDirectory(String, DirectorySecurity): https://learn.microsoft.com/dotnet/api/system.io.directory.createdirectory?view=netframework-4.8
# ACE strings: https://learn.microsoft.com/windows/win32/secauthz/ace-strings
function New-MsiLabRunDir {
    param([string] $Sid)
    $root = Join-Path $env:ProgramData 'msilab\runs'
    [void][System.IO.Directory]::CreateDirectory($root)
    $security = [System.Security.AccessControl.DirectorySecurity]::new()
    $security.SetSecurityDescriptorSddlForm("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;$Sid)")
    $dir = Join-Path $root ([guid]::NewGuid().ToString())
    [void][System.IO.Directory]::CreateDirectory($dir, $security)
    return $dir
}

# The verbose log's text ('' when none was written): UTF-16LE after an FF FE
# byte order mark, else the ANSI code page (Encoding.Default on .NET
# Framework). Which of the two a given msiexec writes is left to the BOM:
# G (to confirm on real Windows). Opened sharing write and delete, as the
# service may still hold the log after a run stopped at its timeout.
# Windows Installer logging: https://learn.microsoft.com/windows/win32/msi/windows-installer-logging
# Encoding.Default: https://learn.microsoft.com/dotnet/api/system.text.encoding.default
function Read-MsiLabMsiLog {
    param([string] $Path)
    if (-not [System.IO.File]::Exists($Path)) { return '' }
    $share = [System.IO.FileShare]'ReadWrite, Delete'
    $stream = [System.IO.FileStream]::new($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, $share)
    try {
        $buffer = [System.IO.MemoryStream]::new()
        $stream.CopyTo($buffer)
        $bytes = $buffer.ToArray()
    } finally { $stream.Dispose() }
    if ($bytes.Length -ge 2 -and $bytes[0] -eq 0xFF -and $bytes[1] -eq 0xFE) {
        return [System.Text.Encoding]::Unicode.GetString($bytes, 2, $bytes.Length - 2)
    }
    return [System.Text.Encoding]::Default.GetString($bytes)
}

# Runs msiexec from this batch's own token (admin-elevated): @{exit_code;
# timed_out}. ExitCode is the process's full Int32 exit code. At the
# timeout the msiexec client is killed and the run is ERROR_TIMEOUT (1460);
# the service may finish the install on its own: G (to confirm on real Windows).
# ProcessStartInfo.UseShellExecute: https://learn.microsoft.com/dotnet/api/system.diagnostics.processstartinfo.useshellexecute
# Process.WaitForExit(Int32): https://learn.microsoft.com/dotnet/api/system.diagnostics.process.waitforexit
# Process.ExitCode: https://learn.microsoft.com/dotnet/api/system.diagnostics.process.exitcode
# ERROR_TIMEOUT: https://learn.microsoft.com/windows/win32/debug/system-error-codes--1300-1699-
function Invoke-MsiLabMsiexecDirect {
    param([string] $Arguments, [int] $TimeoutSeconds)
    $info = [System.Diagnostics.ProcessStartInfo]::new($script:MsiLabMsiexec, $Arguments)
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $proc = [System.Diagnostics.Process]::Start($info)
    try {
        if ($proc.WaitForExit($TimeoutSeconds * 1000)) { return @{ exit_code = $proc.ExitCode; timed_out = $false } }
        try { $proc.Kill() } catch { }    # it may have exited meanwhile
        [void]$proc.WaitForExit(30000)
        return @{ exit_code = 1460; timed_out = $true }
    } finally { $proc.Dispose() }
}

# The principal of a run's task: LocalSystem for system-task; for s4u-task
# the account through Service For User (no password stored; no network
# access) with the limited run level (TASK_RUNLEVEL_LUA, the UAC-filtered
# token). A task's logon is a batch logon (NT AUTHORITY\BATCH), which
# Windows Installer refuses for a non-admin: exit 1601
# (docs/evidence.md#E-service-access); s4u-task is kept to reproduce that.
# New-ScheduledTaskPrincipal: https://learn.microsoft.com/powershell/module/scheduledtasks/new-scheduledtaskprincipal?view=windowsserver2022-ps
# TASK_LOGON_S4U: https://learn.microsoft.com/windows/win32/api/taskschd/ne-taskschd-task_logon_type
# TASK_RUNLEVEL_TYPE: https://learn.microsoft.com/windows/win32/api/taskschd/ne-taskschd-task_runlevel_type
function New-MsiLabMsiTaskPrincipal {
    param([string] $Logon, [string] $Account)
    if ($Logon -eq 'system-task') {
        return (New-ScheduledTaskPrincipal -UserId $Account -LogonType ServiceAccount -RunLevel Highest)
    }
    return (New-ScheduledTaskPrincipal -UserId $Account -LogonType S4U -RunLevel Limited)
}

# A LastTaskResult (UInt32, or Int32) as an Int32, as Process.ExitCode
# reports the same exit code.
# Get-ScheduledTaskInfo: https://learn.microsoft.com/powershell/module/scheduledtasks/get-scheduledtaskinfo?view=windowsserver2022-ps
function ConvertTo-MsiLabInt32 {
    param([long] $Value)
    if ($Value -lt 0) { $Value += 4294967296 }
    if ($Value -gt [int]::MaxValue) { $Value -= 4294967296 }
    return [int]$Value
}

# The exit code of a finished task, or an op error when msiexec did not run
# to its end: Task Scheduler codes (0x000413xx, 0x800413xx, e.g.
# SCHED_S_TASK_TERMINATED) and FACILITY_WIN32 HRESULTs (0x8007xxxx), which
# msiexec's own exit codes (small Win32 codes) never are. That Task
# Scheduler reports a failed launch (logon refused, no batch logon right)
# as such an HRESULT in LastTaskResult, and the process's exit code
# otherwise: G (to confirm on real Windows).
# https://learn.microsoft.com/windows/win32/taskschd/task-scheduler-error-and-success-constants
# https://learn.microsoft.com/windows/win32/msi/error-codes
function Get-MsiLabTaskExitCode {
    param([long] $Result)
    $u = $Result
    if ($u -lt 0) { $u += 4294967296 }
    $win32 = 0
    if (($u -shr 16) -eq 0x8007) { $win32 = [int]($u -band 0xFFFF) }
    if ($win32 -ne 0 -or ($u -shr 8) -eq 0x413 -or ($u -shr 8) -eq 0x800413) {
        $code = Get-MsiLabCodeOfWin32 $win32
        if ($code -eq '') { $code = 'Internal' }
        throw (New-MsiLabError $code ('the scheduled task did not run msiexec to its end: LastTaskResult 0x{0:X8}' -f $u) $win32)
    }
    return (ConvertTo-MsiLabInt32 $u)
}

# LastTaskResult values of a run that has not ended: SCHED_S_TASK_READY,
# SCHED_S_TASK_RUNNING, SCHED_S_TASK_HAS_NOT_RUN (a new task, until its
# first run ends) and SCHED_S_TASK_QUEUED.
# https://learn.microsoft.com/windows/win32/taskschd/task-scheduler-error-and-success-constants
$script:MsiLabTaskPending = @(0x41300, 0x41301, 0x41303, 0x41325)

# Polls a started task every 500 ms until it is neither Running nor Queued
# and its LastTaskResult is a result; at the timeout stops it (the run is
# then ERROR_TIMEOUT, 1460). @{exit_code; timed_out}.
# Get-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/get-scheduledtask?view=windowsserver2022-ps
# Stop-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/stop-scheduledtask?view=windowsserver2022-ps
function Wait-MsiLabMsiTask {
    param([hashtable] $Task, [int] $TimeoutSeconds)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        Start-Sleep -Milliseconds 500
        $state = [string](Get-ScheduledTask @Task).State
        $result = [long](Get-ScheduledTaskInfo @Task).LastTaskResult
        if (($state -notin @('Running', 'Queued')) -and ($script:MsiLabTaskPending -notcontains $result)) {
            return @{ exit_code = (Get-MsiLabTaskExitCode $result); timed_out = $false }
        }
    }
    $null = Stop-ScheduledTask @Task
    return @{ exit_code = 1460; timed_out = $true }
}

# Runs msiexec from a one-off scheduled task (\msilab\msiexec-<guid>, no
# trigger, run on demand) as the context's principal: @{exit_code;
# timed_out}. Task Scheduler's own time limit is a backstop past ours. The
# task is always unregistered.
# New-ScheduledTaskAction: https://learn.microsoft.com/powershell/module/scheduledtasks/new-scheduledtaskaction?view=windowsserver2022-ps
# New-ScheduledTaskSettingsSet: https://learn.microsoft.com/powershell/module/scheduledtasks/new-scheduledtasksettingsset?view=windowsserver2022-ps
# Register-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/register-scheduledtask?view=windowsserver2022-ps
# Start-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/start-scheduledtask?view=windowsserver2022-ps
# Unregister-ScheduledTask: https://learn.microsoft.com/powershell/module/scheduledtasks/unregister-scheduledtask?view=windowsserver2022-ps
function Invoke-MsiLabMsiexecTask {
    param([string] $Logon, [string] $Account, [string] $Arguments, [int] $TimeoutSeconds)
    $task = @{ TaskName = ('msiexec-' + [guid]::NewGuid().ToString()); TaskPath = $script:MsiLabTaskPath }
    $action = New-ScheduledTaskAction -Execute $script:MsiLabMsiexec -Argument $Arguments
    $limit = [TimeSpan]::FromSeconds($TimeoutSeconds + 60)
    $settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -ExecutionTimeLimit $limit
    $principal = New-MsiLabMsiTaskPrincipal $Logon $Account
    $null = Register-ScheduledTask @task -Action $action -Principal $principal -Settings $settings
    try {
        $null = Start-ScheduledTask @task
        return (Wait-MsiLabMsiTask $task $TimeoutSeconds)
    } finally { $null = Unregister-ScheduledTask @task -Confirm:$false -ErrorAction SilentlyContinue }
}

# Runs msiexec with the account's interactive logon token (its profile
# loaded, its own environment, so its own %TEMP%) through
# CreateProcessWithTokenW, which needs SeImpersonatePrivilege (an elevated
# administrator holds it) and the Secondary Logon service (seclogon): the
# process is started by that service, outside this WinRM command's job.
# admin-filtered needs the UAC-filtered token (TokenElevationTypeLimited):
# the built-in Administrator outside Admin Approval Mode, or any admin with
# UAC off, gets its full token, which is refused. @{exit_code; timed_out}.
# TOKEN_ELEVATION_TYPE: https://learn.microsoft.com/windows/win32/api/winnt/ne-winnt-token_elevation_type
# Secondary Logon: https://learn.microsoft.com/windows/win32/api/winbase/nf-winbase-createprocesswithtokenw
function Invoke-MsiLabMsiexecInteractive {
    param([string] $Context, [hashtable] $Account, [string] $Arguments, [int] $TimeoutSeconds)
    $name = $Account.name.Substring($Account.name.LastIndexOf('\') + 1)
    $logon = New-MsiLabInteractiveLogon $name $Account.sid
    try {
        if ($Context -eq 'admin-filtered' -and $logon.ElevationType -ne 3) {
            throw (New-MsiLabError 'NotSupported' ("$name's interactive token is not UAC-filtered (the built-in Administrator outside Admin Approval Mode, or UAC " +
                    'turned off): admin-filtered needs another administrator account under UAC'))
        }
        [MsiLab.Native]::EnablePrivilege('SeImpersonatePrivilege')
        $commandLine = '"{0}" {1}' -f $script:MsiLabMsiexec, $Arguments
        try { $r = $logon.Run($script:MsiLabMsiexec, $commandLine, $env:SystemRoot, $TimeoutSeconds * 1000) }
        catch {
            if ((Get-MsiLabWin32Code $_.Exception) -eq 1058) {
                throw (New-MsiLabError 'Conflict' 'CreateProcessWithTokenW needs the Secondary Logon service (seclogon), which is disabled' 1058)
            }
            throw
        }
        return @{ exit_code = $r.ExitCode; timed_out = $r.TimedOut }
    } finally { $logon.Dispose() }
}

# The MsiInstaller records written after a bookmark, through eventlog.query.
# A record may show in the log a little after msiexec exits: G (to confirm
# on real Windows), so this waits up to 3 s for the run's closing event
# (1033 install, 1034 removal), which a run that never reached the
# service does not write.
# Event logging: https://learn.microsoft.com/windows/win32/msi/event-logging
function Get-MsiLabMsiEvents {
    param([decimal] $After, [int] $ClosingId)
    $query = [pscustomobject]@{ after = $After; source = 'MsiInstaller' }
    $deadline = [DateTime]::UtcNow.AddSeconds(3)
    while ($true) {
        $events = (Get-MsiLabEvents $query).events
        $closed = @($events | Where-Object { $_.event_id -eq $ClosingId }).Count -gt 0
        if ($closed -or [DateTime]::UtcNow -ge $deadline) { return , $events }
        Start-Sleep -Milliseconds 250
    }
}

# Runs `msiexec.exe <option> "<target>" /qn /norestart /L*v "<log>"
# NAME="value"...` for an op ($Run: action, option, target, closing event
# id and the validated run arguments) in its context, and returns the
# MsiRun: exit code, log, new events. /norestart (REBOOT=ReallySuppress):
# under /qn a package that schedules a restart would otherwise restart the
# host in the middle of the batch; 3010 and 1641 are reported as
# reboot_required. The command line is built from validated parts only;
# the run's folder is removed whatever happens.
# Command-line options: https://learn.microsoft.com/windows/win32/msi/command-line-options
# REBOOT property: https://learn.microsoft.com/windows/win32/msi/reboot
function Invoke-MsiLabMsiRun {
    param([hashtable] $Run)
    $account = Get-MsiLabMsiAccount $Run.context $Run.user
    $dir = New-MsiLabRunDir $account.sid
    try {
        $log = Join-Path $dir 'msiexec.log'
        $arguments = '{0} "{1}" /qn /norestart /L*v "{2}"{3}' -f $Run.option, $Run.target, $log, $Run.properties
        $bookmark = [decimal](Get-MsiLabEventBookmark $null).record_id
        switch ($Run.logon) {
            'winrm-network' { $exit = Invoke-MsiLabMsiexecDirect $arguments $Run.timeout }
            'interactive-logon' { $exit = Invoke-MsiLabMsiexecInteractive $Run.context $account $arguments $Run.timeout }
            default { $exit = Invoke-MsiLabMsiexecTask $Run.logon $account.name $arguments $Run.timeout }
        }
        $events = Get-MsiLabMsiEvents $bookmark $Run.closing
        [ordered]@{
            action       = $Run.action
            context      = $Run.context
            logon        = $Run.logon
            user         = $account.name
            command_line = "msiexec.exe $arguments"
            exit_code    = $exit.exit_code
            log          = (Read-MsiLabMsiLog $log)
            events       = $events
            timed_out    = $exit.timed_out
            # 3010 ERROR_SUCCESS_REBOOT_REQUIRED, 1641 ERROR_SUCCESS_REBOOT_INITIATED
            reboot_required = ($exit.exit_code -eq 3010 -or $exit.exit_code -eq 1641)
        }
    } finally { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue }
}

# msi.install: msiexec /i on an existing package, in a context. A failed
# install is a result with its exit code; op errors are for runs that could
# not be made (bad arguments, a missing package or user).
# https://learn.microsoft.com/windows/win32/msi/command-line-options
function Invoke-MsiLabMsiInstall {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('package', 'context', 'user', 'properties', 'ui', 'logon', 'timeout_seconds')
    $run = Get-MsiLabMsiRunArgs $OpArgs
    $run.target = Get-MsiLabMsiPackage $OpArgs 'package'
    $run.action = 'install'; $run.option = '/i'; $run.closing = 1033
    Invoke-MsiLabMsiRun $run
}

# msi.uninstall: msiexec /x on a ProductCode or an existing package, in a
# context (as msi.install).
# https://learn.microsoft.com/windows/win32/msi/command-line-options
function Invoke-MsiLabMsiUninstall {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('product', 'context', 'user', 'properties', 'ui', 'logon', 'timeout_seconds')
    $run = Get-MsiLabMsiRunArgs $OpArgs
    $run.target = Get-MsiLabMsiProduct $OpArgs
    $run.action = 'uninstall'; $run.option = '/x'; $run.closing = 1034
    Invoke-MsiLabMsiRun $run
}

#endregion
#region Windows Installer service registration

# Runs `msiexec.exe /unregister` or `msiexec.exe /regserver` from this
# batch's own (elevated) token and waits for it, at most 120 s. Msiexec's
# exit code is a system error code: a non-zero one is an op error with it
# (1072 marked for deletion and 1073 exists are Conflict). The two options
# are not in the Command-Line Options table; Microsoft gives them for
# re-registering the service (KB 2438651).
# https://support.microsoft.com/kb/2438651
# https://learn.microsoft.com/windows/win32/msi/command-line-options
# Process.WaitForExit(Int32): https://learn.microsoft.com/dotnet/api/system.diagnostics.process.waitforexit
# Process.ExitCode: https://learn.microsoft.com/dotnet/api/system.diagnostics.process.exitcode
function Invoke-MsiLabMsiexecOption {
    param([string] $Option)
    $info = [System.Diagnostics.ProcessStartInfo]::new($script:MsiLabMsiexec, $Option)
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $proc = [System.Diagnostics.Process]::Start($info)
    try {
        if (-not $proc.WaitForExit(120000)) {
            try { $proc.Kill() } catch { }    # it may have exited meanwhile
            throw (New-MsiLabError 'Internal' "msiexec.exe $Option did not exit within 120 s" 1460)
        }
        $code = $proc.ExitCode
    } finally { $proc.Dispose() }
    if ($code -eq 0) { return }
    $kind = Get-MsiLabCodeOfWin32 $code
    if ($code -in 1072, 1073) { $kind = 'Conflict' }
    if ($kind -eq '') { $kind = 'Internal' }
    throw (New-MsiLabError $kind "msiexec.exe $Option exited with $code" $code)
}

# Whether a service's key has DeleteFlag = 1: the SCM marks a service
# deleted while running, and removes it once it stops.
# DeleteService: https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-deleteservice
function Test-MsiLabServiceMarkedForDelete {
    param([string] $Name)
    $key = Open-MsiLabRegKey "HKLM\SYSTEM\CurrentControlSet\Services\$Name"
    if ($null -eq $key) { return $false }
    try { return ([int]$key.GetValue('DeleteFlag', 0) -eq 1) } finally { $key.Close() }
}

# installer.unregister: `msiexec /unregister` deletes the msiserver service
# (a running one is marked for deletion and goes when it stops). A missing
# service is NotFound (1060), as on the simulated host.
# https://support.microsoft.com/kb/2438651
function Invoke-MsiLabInstallerUnregister {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @()
    $before = Get-MsiLabExistingService 'msiserver'
    if (Test-MsiLabServiceMarkedForDelete 'msiserver') {
        throw (New-MsiLabError 'Conflict' 'service msiserver is marked for deletion' 1072)
    }
    Invoke-MsiLabMsiexecOption '/unregister'
    [ordered]@{ before = $before; after = (Get-MsiLabServiceInfo 'msiserver') }
}

# installer.register: `msiexec /regserver` registers the msiserver service.
# A registered one is left as it is (before = after); one marked for
# deletion is Conflict (1072) until it stops, as CreateService gives.
# https://support.microsoft.com/kb/2438651
# CreateService: https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-createservicew
function Invoke-MsiLabInstallerRegister {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @()
    $before = Get-MsiLabServiceInfo 'msiserver'
    if ($before.exists -and (Test-MsiLabServiceMarkedForDelete 'msiserver')) {
        throw (New-MsiLabError 'Conflict' 'service msiserver is marked for deletion: it goes once it stops' 1072)
    }
    if (-not $before.exists) { Invoke-MsiLabMsiexecOption '/regserver' }
    [ordered]@{ before = $before; after = (Get-MsiLabServiceInfo 'msiserver') }
}

#endregion
#region Snapshots

# sim.snapshot and sim.restore: simulated hosts only. A real host is
# reverted by its hypervisor's snapshot driver (see lab/ops/snapshot.go).
# https://learn.microsoft.com/windows-server/virtualization/hyper-v/manage/choose-between-standard-or-production-checkpoints-in-hyper-v
function Invoke-MsiLabSimOnly {
    param($OpArgs)
    throw (New-MsiLabError 'NotSupported' 'snapshots of a real host are taken by its hypervisor snapshot driver (lab.yaml), not by an op')
}

#endregion
#region Hyper-V

# The Hyper-V ops run on a Hyper-V host (lab.yaml role: hypervisor) and
# drive its VMs with the Hyper-V PowerShell module. A VM is matched by its
# exact name, never as a wildcard pattern (Get-VM -Name takes wildcards).
# Get-VM: https://learn.microsoft.com/powershell/module/hyper-v/get-vm
function Get-MsiLabHyperVVMByName {
    param([string] $Name)
    if (-not (Get-Command -Name 'Get-VM' -Module 'Hyper-V' -ErrorAction SilentlyContinue)) {
        throw (New-MsiLabError 'NotSupported' 'the Hyper-V PowerShell module is not installed on this host')
    }
    $vm = @(Get-VM -ErrorAction Stop | Where-Object { $_.Name -eq $Name })
    if ($vm.Count -eq 0) { throw (New-MsiLabError 'NotFound' "no Hyper-V VM named '$Name'") }
    if ($vm.Count -gt 1) { throw (New-MsiLabError 'Conflict' "$($vm.Count) Hyper-V VMs are named '$Name'") }
    return $vm[0]
}

# The names of a VM's checkpoints, oldest first. Get-VMSnapshot is the
# cmdlet every Hyper-V module version has (Get-VMCheckpoint is its alias
# on newer ones).
# Get-VMSnapshot: https://learn.microsoft.com/powershell/module/hyper-v/get-vmsnapshot
function Get-MsiLabHyperVCheckpoints {
    param($VM)
    return @(Get-VMSnapshot -VM $VM -ErrorAction Stop | Sort-Object -Property CreationTime)
}

# hyperv.vm.get: the VM's state, its heartbeat status and its checkpoints.
# Get-VMIntegrationService: https://learn.microsoft.com/powershell/module/hyper-v/get-vmintegrationservice
function Get-MsiLabHyperVVM {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('vm')
    $vm = Get-MsiLabHyperVVMByName (Get-MsiLabString $OpArgs 'vm')
    $heartbeat = ''
    $hb = Get-VMIntegrationService -VM $vm -Name 'Heartbeat' -ErrorAction Stop
    if ($null -ne $hb -and $null -ne $hb.PrimaryStatusDescription) { $heartbeat = [string]$hb.PrimaryStatusDescription }
    $names = New-Object System.Collections.Generic.List[string]
    foreach ($c in (Get-MsiLabHyperVCheckpoints $vm)) { $names.Add([string]$c.Name) }
    return [ordered]@{ name = [string]$vm.Name; state = [string]$vm.State; heartbeat = $heartbeat; checkpoints = $names.ToArray() }
}

# hyperv.checkpoint.restore: applies a checkpoint of the VM.
# Restore-VMSnapshot (Restore-VMCheckpoint is its alias on newer modules):
# https://learn.microsoft.com/powershell/module/hyper-v/restore-vmsnapshot
function Restore-MsiLabHyperVCheckpoint {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('vm', 'checkpoint')
    $vm = Get-MsiLabHyperVVMByName (Get-MsiLabString $OpArgs 'vm')
    $name = Get-MsiLabString $OpArgs 'checkpoint'
    $cp = @(Get-MsiLabHyperVCheckpoints $vm | Where-Object { $_.Name -eq $name })
    if ($cp.Count -eq 0) { throw (New-MsiLabError 'NotFound' "VM '$($vm.Name)' has no checkpoint '$name'") }
    if ($cp.Count -gt 1) { throw (New-MsiLabError 'Conflict' "VM '$($vm.Name)' has $($cp.Count) checkpoints named '$name'") }
    $before = [string]$vm.State
    Restore-VMSnapshot -VMSnapshot $cp[0] -Confirm:$false -ErrorAction Stop
    $after = Get-VM -Id $vm.Id -ErrorAction Stop
    return [ordered]@{ vm = [string]$vm.Name; checkpoint = $name; state_before = $before; state = [string]$after.State }
}

# hyperv.vm.start: starts the VM unless it runs (a saved VM resumes).
# Start-VM: https://learn.microsoft.com/powershell/module/hyper-v/start-vm
function Start-MsiLabHyperVVM {
    param($OpArgs)
    Assert-MsiLabArgs $OpArgs @('vm')
    $vm = Get-MsiLabHyperVVMByName (Get-MsiLabString $OpArgs 'vm')
    $before = [string]$vm.State
    if ($before -ne 'Running') { Start-VM -VM $vm -ErrorAction Stop }
    $after = Get-VM -Id $vm.Id -ErrorAction Stop
    return [ordered]@{ vm = [string]$vm.Name; state_before = $before; state = [string]$after.State }
}

#endregion
#region Dispatcher

# The catalog: op name -> function (lab/ops/catalog.go; checked by
# TestModuleImplementsCatalog).
$script:MsiLabOps = @{
    'host.info'             = 'Get-MsiLabHostInfo'
    'host.license'          = 'Get-MsiLabHostLicense'
    'host.health'           = 'Get-MsiLabHostHealth'
    'service.get'           = 'Get-MsiLabService'
    'service.set_start'     = 'Set-MsiLabServiceStart'
    'service.start'         = 'Start-MsiLabService'
    'service.stop'          = 'Stop-MsiLabService'
    'service.configure'     = 'Set-MsiLabServiceConfig'
    'installer.unregister'  = 'Invoke-MsiLabInstallerUnregister'
    'installer.register'    = 'Invoke-MsiLabInstallerRegister'
    'registry.get'          = 'Get-MsiLabRegistryValue'
    'registry.list'         = 'Get-MsiLabRegistryKey'
    'registry.set'          = 'Set-MsiLabRegistryValue'
    'registry.delete_value' = 'Remove-MsiLabRegistryValue'
    'registry.delete_key'   = 'Remove-MsiLabRegistryKey'
    'acl.get'               = 'Get-MsiLabAclOp'
    'acl.set'               = 'Set-MsiLabAcl'
    'path.stat'             = 'Get-MsiLabPathStat'
    'path.list'             = 'Get-MsiLabPathList'
    'path.create'           = 'New-MsiLabPath'
    'path.move'             = 'Move-MsiLabPath'
    'path.remove'           = 'Remove-MsiLabPath'
    'path.set_attributes'   = 'Set-MsiLabPathAttributes'
    'path.hash'             = 'Get-MsiLabPathHash'
    'user.ensure'           = 'Set-MsiLabUser'
    'user.get'              = 'Get-MsiLabUserOp'
    'user.logon'            = 'Invoke-MsiLabUserLogon'
    'user.rights'           = 'Get-MsiLabUserRights'
    'user.token'            = 'Get-MsiLabUserToken'
    'eventlog.bookmark'     = 'Get-MsiLabEventBookmark'
    'eventlog.query'        = 'Get-MsiLabEvents'
    'mutex.hold'            = 'Invoke-MsiLabMutexHold'
    'mutex.release'         = 'Invoke-MsiLabMutexRelease'
    'mutex.get'             = 'Get-MsiLabMutexOp'
    'msi.install'           = 'Invoke-MsiLabMsiInstall'
    'msi.uninstall'         = 'Invoke-MsiLabMsiUninstall'
    'hyperv.vm.get'         = 'Get-MsiLabHyperVVM'
    'hyperv.checkpoint.restore' = 'Restore-MsiLabHyperVCheckpoint'
    'hyperv.vm.start'       = 'Start-MsiLabHyperVVM'
    'sim.snapshot'          = 'Invoke-MsiLabSimOnly'
    'sim.restore'           = 'Invoke-MsiLabSimOnly'
}

# Runs one op: its value is the function's last output (so that a stray
# output before it cannot turn the value into an array), or a typed error.
# A registry op on the hive of a user who is not logged on loads it for the
# op and unloads it after (Mount-MsiLabUserHive); an unload that fails is
# the op's error.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_return?view=powershell-5.1
function Invoke-MsiLabOp {
    param([string] $Name, $OpArgs)
    $fn = $null
    if ($script:MsiLabOps.Keys -ccontains $Name) { $fn = $script:MsiLabOps[$Name] }    # names are case-sensitive
    if (-not $fn) {
        return [ordered]@{ op = $Name; ok = $false; error = [ordered]@{ code = 'UnknownOp'; message = "unknown op '$Name'" } }
    }
    $hive = ''
    try {
        if ($Name.StartsWith('registry.')) {
            $sid = Get-MsiLabUserHiveSid $OpArgs
            if ($sid -ne '' -and (Mount-MsiLabUserHive $sid)) { $hive = $sid }
        }
        $out = @(& $fn -OpArgs $OpArgs)
        $value = $null
        if ($out.Count -gt 0) { $value = $out[$out.Count - 1] }
        $result = [ordered]@{ op = $Name; ok = $true; value = $value }
    } catch {
        $err = [ordered]@{ code = (Get-MsiLabErrorCode $_); message = $_.Exception.Message }
        $win32 = Get-MsiLabWin32Code $_.Exception
        if ($win32 -ne 0) { $err.win32 = $win32 }
        $result = [ordered]@{ op = $Name; ok = $false; error = $err }
        # An op that changed part of the host before failing returns its
        # undo data beside the error (ops.Result).
        if ($_.Exception.Data.Contains('MsiLabValue')) { $result.value = $_.Exception.Data['MsiLabValue'] }
    }
    if ($hive -ne '') {
        try { Dismount-MsiLabUserHive $hive }
        catch {
            $err = [ordered]@{ code = 'Internal'; message = "HKU\$hive stays loaded: " + $_.Exception.GetBaseException().Message }
            $result = [ordered]@{ op = $Name; ok = $false; error = $err }
        }
    }
    return $result
}

# Invoke-MsiLabBatch runs each op of a request and writes one JSON response
# (depth 100, ConvertTo-Json's maximum, for registry trees). The request's
# logons are the ops' only while the batch runs. An op with
# requires_previous runs only when the op before it succeeded; otherwise it
# is Skipped (lab/ops/protocol.go), and counts as failed for the next one.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/convertto-json?view=powershell-5.1
function Invoke-MsiLabBatch {
    param([Parameter(Mandatory = $true)] $Request)
    # A host folder that is not msilab's own: no op runs (ops.HostDirError).
    $hostDir = Join-Path $env:ProgramData 'msilab'
    $problem = Get-MsiLabHostDirProblem $hostDir
    if ($problem -ne '') {
        [Console]::Out.Write((@{ v = 1; host_dir = @{ path = $hostDir; problem = $problem } } | ConvertTo-Json -Compress))
        return
    }
    if ($Request.PSObject.Properties['forget'] -and $null -ne $Request.forget) {
        foreach ($prefix in @($Request.forget)) { Remove-MsiLabBatchRecords ([string]$prefix) }
    }
    $id = ''
    if ($Request.PSObject.Properties['id'] -and $null -ne $Request.id) { $id = [string]$Request.id }
    if ($id -eq '') {
        [Console]::Out.Write(((Invoke-MsiLabBatchOps $Request) | ConvertTo-Json -Depth 100 -Compress))
        return
    }
    Invoke-MsiLabRecordedBatch $Request $id
}

# Batches with an ID run at most once. The response is recorded in
# C:\ProgramData\msilab\batches\<ID>.json (SYSTEM and Administrators only)
# before it is written out; a resend with the same ID gets the record back,
# marked replayed, and runs nothing. <ID>.started marks a batch running:
# found with no record once the mutex is ours, its process died mid-batch,
# and the resend answers interrupted and runs nothing. Sends of one ID wait
# for each other on the named mutex Global\msilab-batch-<ID> (a mutex whose
# owner died is acquired with AbandonedMutexException).
# Mutex: https://learn.microsoft.com/dotnet/api/system.threading.mutex.waitone?view=netframework-4.8
# File.WriteAllText (UTF-8, no BOM): https://learn.microsoft.com/dotnet/api/system.io.file.writealltext?view=netframework-4.8
function Invoke-MsiLabRecordedBatch {
    param($Request, [string] $Id)
    Test-MsiLabBatchId $Id
    $dir = Get-MsiLabBatchDir
    $record = Join-Path $dir "$Id.json"
    $started = Join-Path $dir "$Id.started"
    $suffix = ',"batch":{"id":"' + $Id + '"}}'
    $mutex = New-Object System.Threading.Mutex($false, "Global\msilab-batch-$Id")
    $owned = $false
    try {
        try { $owned = $mutex.WaitOne() } catch [System.Threading.AbandonedMutexException] { $owned = $true }
        if ([System.IO.File]::Exists($record)) {
            $text = [System.IO.File]::ReadAllText($record)
            if (-not $text.EndsWith($suffix)) { throw "batch record $record is damaged" }
            $text = $text.Substring(0, $text.Length - $suffix.Length) + ',"batch":{"id":"' + $Id + '","replayed":true}}'
        } elseif ([System.IO.File]::Exists($started)) {
            $text = '{"v":1,"batch":{"id":"' + $Id + '","interrupted":true}}'
        } else {
            [System.IO.File]::WriteAllText($started, '')
            $response = Invoke-MsiLabBatchOps $Request
            $response.batch = [ordered]@{ id = $Id }
            $text = $response | ConvertTo-Json -Depth 100 -Compress
            [System.IO.File]::WriteAllText($record, $text)
            [System.IO.File]::Delete($started)
        }
        [Console]::Out.Write($text)
    } finally {
        if ($owned) { $mutex.ReleaseMutex() }
        $mutex.Dispose()
    }
}

# The folder of the batch records, created when missing: SYSTEM and
# Administrators only (protected), as the staging folder.
function Get-MsiLabBatchDir {
    $dir = Join-Path $env:ProgramData 'msilab\batches'
    if (-not [System.IO.Directory]::Exists($dir)) {
        $security = [System.Security.AccessControl.DirectorySecurity]::new()
        $security.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)')
        [void][System.IO.Directory]::CreateDirectory($dir, $security)
    }
    return $dir
}

# A batch ID names files: the characters of ops.CheckBatchID only.
function Test-MsiLabBatchId {
    param([string] $Id)
    if ($Id -cnotmatch '^[A-Za-z0-9][A-Za-z0-9._~-]{0,149}$' -or $Id.Contains('..')) {
        throw "batch ID '$Id': want 1 to 150 of A-Z a-z 0-9 . _ ~ -, starting with a letter or digit, no '..'"
    }
}

# Deletes the batch records and markers whose ID starts with Prefix, and
# the folder once it is empty.
function Remove-MsiLabBatchRecords {
    param([string] $Prefix)
    Test-MsiLabBatchId $Prefix
    $dir = Join-Path $env:ProgramData 'msilab\batches'
    if (-not [System.IO.Directory]::Exists($dir)) { return }
    foreach ($file in [System.IO.Directory]::GetFiles($dir)) {
        if ([System.IO.Path]::GetFileName($file).StartsWith($Prefix, [System.StringComparison]::OrdinalIgnoreCase)) {
            [System.IO.File]::Delete($file)
        }
    }
    if ([System.IO.Directory]::GetFileSystemEntries($dir).Count -eq 0) { [System.IO.Directory]::Delete($dir) }
}

# Runs a request's ops and returns the response (not yet written).
function Invoke-MsiLabBatchOps {
    param($Request)
    $results = New-Object System.Collections.ArrayList
    $script:MsiLabLogons = @()
    if ($Request.PSObject.Properties['logons'] -and $null -ne $Request.logons) { $script:MsiLabLogons = @($Request.logons) }
    try {
        $previous = $null
        foreach ($op in $Request.ops) {
            $opArgs = $null
            if ($op.PSObject.Properties['args']) { $opArgs = $op.args }
            $requires = $op.PSObject.Properties['requires_previous'] -and $op.requires_previous -eq $true
            if ($requires -and $null -ne $previous -and -not $previous.ok) {
                $message = "not run: it requires the previous op, $($previous.op), which did not succeed"
                $result = [ordered]@{ op = [string]$op.op; ok = $false; error = [ordered]@{ code = 'Skipped'; message = $message } }
            } else {
                $result = Invoke-MsiLabOp ([string]$op.op) $opArgs
            }
            [void]$results.Add($result)
            $previous = $result
        }
    } finally { $script:MsiLabLogons = @() }
    return [ordered]@{ v = 1; results = $results.ToArray() }
}

Export-ModuleMember -Function Invoke-MsiLabBatch
