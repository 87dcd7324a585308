# msilab host folder: stdin is {"path","sddl","create_only"}. Creates the
# folder with the security descriptor (owner and DACL) if it is missing, so
# that it never exists with the inherited ACL of its parent; else sets them
# on it (Set-Acl re-propagates to children that inherit), unless
# create_only, which leaves it as it is for the caller to check. stdout is {"path","created",
# "before","after"} (SDDL of the owner and DACL).
# Directory.CreateDirectory(String, DirectorySecurity): https://learn.microsoft.com/dotnet/api/system.io.directory.createdirectory?view=netframework-4.8
# ObjectSecurity.SetSecurityDescriptorSddlForm: https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.objectsecurity.setsecuritydescriptorsddlform
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$request = [Console]::In.ReadToEnd() | ConvertFrom-Json
$path = [System.IO.Path]::GetFullPath($request.path)
$sections = [System.Security.AccessControl.AccessControlSections]::Owner -bor [System.Security.AccessControl.AccessControlSections]::Access
$created = $false
$before = ''
# A junction or a symbolic link would get the descriptor on its target:
# exit 3. https://learn.microsoft.com/windows/win32/fileio/reparse-points
if ([System.IO.Directory]::Exists($path) -and ([int][System.IO.File]::GetAttributes($path) -band 0x400) -ne 0) {
    [Console]::Error.WriteLine("msilab: host folder: $path is a reparse point (a junction or a symbolic link), not a folder of its own")
    exit 3
}
if (-not [System.IO.Directory]::Exists($path)) {
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm($request.sddl, $sections)
    [System.IO.Directory]::CreateDirectory($path, $security) | Out-Null
    $created = $true
} else {
    $acl = Get-Acl -LiteralPath $path
    $before = $acl.GetSecurityDescriptorSddlForm($sections)
    if (-not $request.create_only) {
        $acl.SetSecurityDescriptorSddlForm($request.sddl, $sections)
        Set-Acl -LiteralPath $path -AclObject $acl
    }
}
$after = (Get-Acl -LiteralPath $path).GetSecurityDescriptorSddlForm($sections)
[Console]::Out.Write((@{ path = $path; created = $created; before = $before; after = $after } | ConvertTo-Json -Compress))
