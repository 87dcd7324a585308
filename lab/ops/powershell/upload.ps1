# msilab upload: stdin is a JSON header line {"path"}, base64 lines, then a
# JSON trailer line {"size","sha256"}. The bytes are staged in msilab's own
# folder, C:\ProgramData\msilab\staging (SYSTEM and Administrators only),
# never in this account's %TEMP%, which a fault may have broken; a staged
# file whose hash matches the trailer is copied next to the destination
# (a copy takes the destination folder's inherited ACL, a move would keep
# the staging folder's) and renamed over it.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$header = [Console]::In.ReadLine() | ConvertFrom-Json
$dest = [System.IO.Path]::GetFullPath($header.path)
$dir = [System.IO.Path]::GetDirectoryName($dest)
if (-not (Test-Path -LiteralPath $dir)) {
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
    [System.IO.File]::Copy($staged, $tmp, $true)
    Move-Item -LiteralPath $tmp -Destination $dest -Force
} finally {
    Remove-Item -LiteralPath $staged -Force -ErrorAction SilentlyContinue
}
$size = (Get-Item -LiteralPath $dest).Length
[Console]::Out.Write((@{ path = $dest; size = $size; sha256 = $hash } | ConvertTo-Json -Compress))
