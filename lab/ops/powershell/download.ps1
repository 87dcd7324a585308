# msilab download: {"path"} on stdin; a JSON header line then base64 lines on stdout.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$request = [Console]::In.ReadToEnd() | ConvertFrom-Json
$path = [System.IO.Path]::GetFullPath($request.path)
$hash = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
$in = [System.IO.File]::OpenRead($path)
try {
    [Console]::Out.WriteLine((@{ size = $in.Length; sha256 = $hash } | ConvertTo-Json -Compress))
    $buffer = New-Object byte[] 196608
    while (($n = $in.Read($buffer, 0, $buffer.Length)) -gt 0) {
        [Console]::Out.WriteLine([System.Convert]::ToBase64String($buffer, 0, $n))
    }
} finally {
    $in.Close()
}
