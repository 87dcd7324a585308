# msilab upload: stdin is a JSON header line {"path"}, base64 lines, then a
# JSON trailer line {"size","sha256"}. Staged in C:\ProgramData\msilab\staging
# (SYSTEM and Administrators only, never this account's %TEMP%); once the
# hash matches, written to a new file beside the destination (CreateNew,
# an explicit DACL, owned by Administrators: a file planted there is never
# opened) and renamed over it. Folders made below the host folder get its
# SDDL; a reparse point there exits 3, a planted temporary file exits 4.
# docs/evidence.md#E-create-existing-file, docs/evidence.md#E-programdata-acl
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$header = [Console]::In.ReadLine() | ConvertFrom-Json
$dest = [System.IO.Path]::GetFullPath($header.path)
$dir = [System.IO.Path]::GetDirectoryName($dest)
$root = Join-Path $env:ProgramData 'msilab'
if ($dir.StartsWith($root + '\', 'OrdinalIgnoreCase')) {
    $sub = $root
    foreach ($part in $dir.Substring($root.Length + 1).Split('\')) {
        $sub = Join-Path $sub $part
        if (-not [System.IO.Directory]::Exists($sub)) {
            $security = [System.Security.AccessControl.DirectorySecurity]::new()
            $security.SetSecurityDescriptorSddlForm('O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)')
            [void][System.IO.Directory]::CreateDirectory($sub, $security)
        }
        if (([int][System.IO.File]::GetAttributes($sub) -band 0x400) -ne 0) {
            [Console]::Error.WriteLine("msilab: host folder: $sub is a reparse point")
            exit 3
        }
    }
} elseif (-not (Test-Path -LiteralPath $dir)) {
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
}
$staging = Join-Path $env:ProgramData 'msilab\staging'
if (-not [System.IO.Directory]::Exists($staging)) {
    $security = [System.Security.AccessControl.DirectorySecurity]::new()
    $security.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)')
    [void][System.IO.Directory]::CreateDirectory($staging, $security)
}
$staged = Join-Path $staging ([guid]::NewGuid().ToString() + '.upload')
$tmp = $dest + '.msilab-upload'
$trailer = $null
try {
    $out = [System.IO.File]::Create($staged)
    try {
        while ($null -ne ($line = [Console]::In.ReadLine())) {
            if ($line.Length -eq 0) { continue }
            if ($line[0] -eq '{') { $trailer = $line | ConvertFrom-Json; break }
            $bytes = [System.Convert]::FromBase64String($line)
            $out.Write($bytes, 0, $bytes.Length)
        }
    } finally {
        $out.Close()
    }
    $hash = (Get-FileHash -LiteralPath $staged -Algorithm SHA256).Hash
    if ($null -eq $trailer -or $hash -ne $trailer.sha256) {
        [Console]::Error.WriteLine("msilab: upload of $dest incomplete or corrupt: got SHA-256 $hash")
        exit 2
    }
    if ([System.IO.File]::Exists($tmp)) {
        $owner = [System.IO.File]::GetAccessControl($tmp, 'Owner').GetOwner([System.Security.Principal.SecurityIdentifier]).Value
        if ('S-1-5-32-544', 'S-1-5-18' -notcontains $owner) {
            [Console]::Error.WriteLine("msilab: upload: $tmp exists, owned by $owner")
            exit 4
        }
        [System.IO.File]::Delete($tmp)
    }
    $security = [System.Security.AccessControl.FileSecurity]::new()
    $security.SetSecurityDescriptorSddlForm('O:BAD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)')
    $in = [System.IO.File]::OpenRead($staged)
    try {
        $new = [System.IO.FileStream]::new($tmp, 'CreateNew', 'Write', 'None', 65536, 'None', $security)
        try { $in.CopyTo($new) } finally { $new.Close() }
    } finally {
        $in.Close()
    }
    Move-Item -LiteralPath $tmp -Destination $dest -Force
} finally {
    Remove-Item -LiteralPath $staged -Force -ErrorAction SilentlyContinue
}
$size = (Get-Item -LiteralPath $dest).Length
[Console]::Out.Write((@{ path = $dest; size = $size; sha256 = $hash } | ConvertTo-Json -Compress))
