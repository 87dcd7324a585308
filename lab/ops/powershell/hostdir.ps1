# msilab host folder: stdin is {"path","sddl"}. Creates the folder with the
# security descriptor (owner and DACL) if it is missing, so that it never
# exists with the inherited ACL of its parent; else sets them on it (Set-Acl
# re-propagates to children that inherit). stdout is {"path","created",
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
if (-not [System.IO.Directory]::Exists($path)) {
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm($request.sddl, $sections)
    [System.IO.Directory]::CreateDirectory($path, $security) | Out-Null
    $created = $true
} else {
    $acl = Get-Acl -LiteralPath $path
    $before = $acl.GetSecurityDescriptorSddlForm($sections)
    $acl.SetSecurityDescriptorSddlForm($request.sddl, $sections)
    Set-Acl -LiteralPath $path -AclObject $acl
}
$after = (Get-Acl -LiteralPath $path).GetSecurityDescriptorSddlForm($sections)
[Console]::Out.Write((@{ path = $path; created = $created; before = $before; after = $after } | ConvertTo-Json -Compress))
