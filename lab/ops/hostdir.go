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
// (images/provisioner, step_secure_host_dir.go); a session, before each
// upload (the module's bootstrap included), creates the folder with it
// when missing and checks it by meaning (HostDirScript with CreateOnly,
// lab.CheckHostDir); the module checks it before every batch (its
// $script:MsiLabHostDirSddl repeats it: a test holds the two equal).
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
	// CreateOnly leaves a folder that exists as it is: the result then
	// tells what it has, for the caller to check.
	CreateOnly bool `json:"create_only,omitempty"`
}

// HostDirExitReparse is HostDirScript's exit code for a reparse point.
const HostDirExitReparse = 3

// HostDirResult is HostDirScript's output: the folder's security
// descriptor before ("" when Created) and after, as SDDL. A folder that is
// a reparse point (a junction, a symbolic link) is not touched: the
// script exits HostDirExitReparse.
type HostDirResult struct {
	Path    string `json:"path"`
	Created bool   `json:"created"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after"`
}

// HostDirError is a host whose folder is not what msilab made it: the
// batch and upload scripts refuse to use it. Problem says what is wrong.
type HostDirError struct {
	Path    string `json:"path"`
	Problem string `json:"problem"`
}

func (e *HostDirError) Error() string {
	return "ops: msilab's host folder is not safe to use: " + e.Problem +
		"; msilab keeps it owned by Administrators with a protected DACL (" + HostDirSDDL +
		"), so that no standard user can plant or replace the op module or a package." +
		" Remove the folder (for a junction or a link: cmd /c rmdir " + e.Path +
		", which removes only the link) and msilab creates it again on its next command"
}
