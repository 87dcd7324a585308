# msilab upload: stdin is a JSON header line {"path"}, base64 lines, then a
# JSON trailer line {"size","sha256"}. The bytes go to a temporary file that
# is checked against the trailer before it replaces the destination.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$header = [Console]::In.ReadLine() | ConvertFrom-Json
$dest = [System.IO.Path]::GetFullPath($header.path)
$dir = [System.IO.Path]::GetDirectoryName($dest)
if (-not (Test-Path -LiteralPath $dir)) {
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
}
$tmp = $dest + '.msilab-upload'
$trailer = $null
$out = [System.IO.File]::Create($tmp)
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
$hash = (Get-FileHash -LiteralPath $tmp -Algorithm SHA256).Hash
if ($null -eq $trailer -or $hash -ne $trailer.sha256) {
    Remove-Item -LiteralPath $tmp -Force
    [Console]::Error.WriteLine("msilab: upload of $dest incomplete or corrupt: got SHA-256 $hash")
    exit 2
}
Move-Item -LiteralPath $tmp -Destination $dest -Force
$size = (Get-Item -LiteralPath $dest).Length
[Console]::Out.Write((@{ path = $dest; size = $size; sha256 = $hash } | ConvertTo-Json -Compress))
