package ops

import _ "embed"

// HostDir is msilab's folder on a host: the op module (ModulePath), the
// test packages, the image manifest and the runs' logs live below it.
const HostDir = `C:\ProgramData\msilab`

// HostDirSDDL is the security descriptor HostDir gets before anything is
// written in it, and that every file and folder below it inherits: owned
// by Administrators, a protected DACL (nothing inherited from
// C:\ProgramData, where any user may create files and folders) granting
// SYSTEM and Administrators full control and Users read and execute. So a
// standard user can neither plant a file that an administrator or SYSTEM
// later runs or installs (the module, a package), nor replace one.
//
// This is the one definition: the Packer provisioner applies it first
// (images/provisioner, step_secure_host_dir.go), and the op module's
// bootstrap is meant to apply and verify the same.
// ACE strings: https://learn.microsoft.com/windows/win32/secauthz/ace-strings
// (FA file all access, 0x1200a9 read and execute; OICI inherited by files
// and folders).
const HostDirSDDL = "O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"

// HostDirScript creates a folder with a security descriptor, or sets it on
// the folder that exists (owner and DACL; children that inherit get it
// too). stdin is a HostDirRequest; stdout a HostDirResult. It needs no op
// module, so it runs before the module is uploaded into the folder.
//
//go:embed powershell/hostdir.ps1
var HostDirScript string

// HostDirRequest is HostDirScript's input.
type HostDirRequest struct {
	Path string `json:"path"`
	SDDL string `json:"sddl"`
}

// HostDirResult is HostDirScript's output: the folder's security
// descriptor before ("" when Created) and after, as SDDL.
type HostDirResult struct {
	Path    string `json:"path"`
	Created bool   `json:"created"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after"`
}
