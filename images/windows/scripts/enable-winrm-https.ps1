# Enables WinRM over HTTPS with a self-signed certificate, so that Packer and
# msilab can reach the machine. The answer file runs it once, at the
# administrator's first logon, from the CD labelled MSILAB.
param(
    [Parameter(Mandatory = $true)]
    [string] $AdminUser
)
$ErrorActionPreference = 'Stop'

# A local administrator other than the built-in one gets a full token over
# the network only with LocalAccountTokenFilterPolicy = 1 (remote UAC:
# https://learn.microsoft.com/troubleshoot/windows-server/windows-security/user-account-control-and-remote-restriction).
$system = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'
New-ItemProperty -Path $system -Name LocalAccountTokenFilterPolicy -PropertyType DWord -Value 1 -Force | Out-Null

# The account outlives the default 42-day password age of a lab host.
Set-LocalUser -Name $AdminUser -PasswordNeverExpires $true

Set-Service -Name WinRM -StartupType Automatic
Start-Service -Name WinRM

# The HTTPS listener, on a certificate made for this machine's name
# (about_WSMan_Provider: New-Item WSMan:\localhost\Listener).
$cert = New-SelfSignedCertificate -DnsName $env:COMPUTERNAME -CertStoreLocation 'Cert:\LocalMachine\My' -NotAfter (Get-Date).AddYears(10)
New-Item -Path 'WSMan:\localhost\Listener' -Transport HTTPS -Address '*' -CertificateThumbPrint $cert.Thumbprint -Force | Out-Null

New-NetFirewallRule -Name 'msilab-winrm-https' -DisplayName 'Windows Remote Management (HTTPS-In, msilab)' -Direction Inbound -Protocol TCP -LocalPort 5986 -Action Allow -Profile Any | Out-Null
