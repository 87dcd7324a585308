# Turns automatic updates off before WinRM is enabled, so before Packer and
# the msilab provisioner run: an update installing during the build holds
# Global\_MSIExecute (the mutex the mutex-held fault holds) and fails the
# build at random, and one staged for the next restart finishes at shutdown
# or at a clone's first boot, changing the build, UBR and msi.dll version
# the image manifest records. Lab hosts keep them off: nothing installs
# during a cell. The msilab provisioner sets the policy again if missing.
# Automatic Updates policy (NoAutoUpdate = 1): https://learn.microsoft.com/windows/deployment/update/waas-wu-settings#configuring-automatic-updates-by-editing-the-registry
$ErrorActionPreference = 'Stop'
$log = Join-Path $env:SystemRoot 'Temp\msilab-first-logon.log'

$au = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU'
if (-not (Test-Path -LiteralPath $au)) {
    New-Item -Path $au -Force | Out-Null
}
New-ItemProperty -Path $au -Name NoAutoUpdate -PropertyType DWord -Value 1 -Force | Out-Null

# Stop the Windows Update service and keep it from starting. An install it
# already started goes on in the Windows Installer or servicing
# (TrustedInstaller) service; the msilab provisioner waits for it to end.
# Set-Service: https://learn.microsoft.com/powershell/module/microsoft.powershell.management/set-service?view=powershell-5.1
Set-Service -Name wuauserv -StartupType Disabled
Stop-Service -Name wuauserv -Force
Add-Content -LiteralPath $log -Value ('{0:o} disable-windows-update: NoAutoUpdate 1, wuauserv {1}' -f (Get-Date), (Get-Service -Name wuauserv).Status)
