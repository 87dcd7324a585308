# Installs VMware Tools from the ESXi host's tools ISO, which vsphere-iso
# attaches (vsphere_tools_iso): the builder finds the machine's address
# through them, so without them the build waits out ip_wait_timeout. Only
# the vSphere build's answer file runs it, first among the first-logon
# commands.
#
# The installer is found by what it is, not by one name on one drive: on
# every CD-ROM drive that is ready (the ISO may take a moment to appear), a
# setup64.exe or setup.exe at the root whose product name is VMware Tools
# (the Windows ISO, still attached, has a setup.exe of its own). If none is
# found within two minutes, or setup fails, the script stops at once with a
# message saying why, on the VM's console (its window stays open) and in
# C:\Windows\Temp\msilab-first-logon.log.
# DriveInfo: https://learn.microsoft.com/dotnet/api/system.io.driveinfo
# FileVersionInfo.ProductName: https://learn.microsoft.com/dotnet/api/system.diagnostics.fileversioninfo.productname
$ErrorActionPreference = 'Stop'
$log = Join-Path $env:SystemRoot 'Temp\msilab-first-logon.log'

function Stop-MsiLabToolsInstall {
    param([string] $Message)
    $text = 'install-vmware-tools: ' + $Message + ' The vSphere build cannot find this machine''s address without VMware Tools, and will end with "timeout waiting for IP address".'
    Add-Content -LiteralPath $log -Value ('{0:o} {1}' -f (Get-Date), $text)
    Write-Host $text -ForegroundColor Red
    # Keep the console window open for whoever opens the VM's console.
    Read-Host 'Press Enter to close this window' | Out-Null
    exit 1
}

function Find-MsiLabToolsSetup {
    foreach ($drive in [System.IO.DriveInfo]::GetDrives()) {
        if ($drive.DriveType -ne [System.IO.DriveType]::CDRom -or -not $drive.IsReady) { continue }
        foreach ($name in 'setup64.exe', 'setup.exe') {
            $path = Join-Path $drive.RootDirectory.FullName $name
            if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { continue }
            $product = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($path).ProductName
            if ($product -like '*VMware Tools*') { return $path }
        }
    }
    return $null
}

$setup = $null
$deadline = (Get-Date).AddMinutes(2)
while ($null -eq ($setup = Find-MsiLabToolsSetup)) {
    if ((Get-Date) -gt $deadline) {
        $seen = @([System.IO.DriveInfo]::GetDrives() | Where-Object { $_.DriveType -eq [System.IO.DriveType]::CDRom } |
                ForEach-Object { '{0} ({1})' -f $_.Name, $(if ($_.IsReady) { $_.VolumeLabel } else { 'not ready' }) })
        Stop-MsiLabToolsInstall ('no VMware Tools setup64.exe or setup.exe on any CD-ROM drive after 2 minutes (drives: {0}). Is vsphere_tools_iso right for this ESXi host?' -f ($seen -join ', '))
    }
    Start-Sleep -Seconds 5
}

# /S: silent; /v passes its options to msiexec: no UI, no reboot.
Add-Content -LiteralPath $log -Value ('{0:o} install-vmware-tools: running {1}' -f (Get-Date), $setup)
$p = Start-Process -FilePath $setup -ArgumentList '/S', '/v', '"/qn REBOOT=R"' -Wait -PassThru
if ($p.ExitCode -notin 0, 3010) {
    Stop-MsiLabToolsInstall ('{0} exited with {1}.' -f $setup, $p.ExitCode)
}
Add-Content -LiteralPath $log -Value ('{0:o} install-vmware-tools: {1} exited with {2}' -f (Get-Date), $setup, $p.ExitCode)
