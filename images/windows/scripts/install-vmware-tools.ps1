# Installs VMware Tools from the ESXi host's tools ISO, which vsphere-iso
# attaches: the builder finds the machine's address through them. Only the
# vSphere build's answer file runs it, at the administrator's first logon.
$ErrorActionPreference = 'Stop'

$setup = Get-Volume |
    Where-Object { $_.DriveLetter } |
    ForEach-Object { '{0}:\setup64.exe' -f $_.DriveLetter } |
    Where-Object { Test-Path -LiteralPath $_ } |
    Select-Object -First 1
if (-not $setup) {
    throw 'VMware Tools: no setup64.exe on any drive (is vsphere_tools_iso attached?)'
}
# /S: silent; /v passes its options to msiexec: no UI, no reboot.
$p = Start-Process -FilePath $setup -ArgumentList '/S', '/v', '"/qn REBOOT=R"' -Wait -PassThru
if ($p.ExitCode -notin 0, 3010) {
    throw ('VMware Tools setup exited with {0}' -f $p.ExitCode)
}
