package ops

import "sort"

// Spec describes one op of the catalog.
type Spec struct {
	Name    string
	Summary string
	// Changes is true for ops that change the host; they return the prior
	// state so that undo data can be journaled before the next change.
	Changes bool
}

// Catalog lists every op, in the order the reference prints them.
var Catalog = []Spec{
	{OpHostInfo, "OS, build, msi.dll version, current user and token", false},
	{OpHostLicense, "the Windows licence: channel, status, evaluation end, grace remaining (slmgr /dli)", false},
	{OpHostHealth, "PowerShell version and language mode, clock, free disk space, WinRM limits (for msilab doctor)", false},
	{OpServiceGet, "a service's configuration (from its registry key) and state", false},
	{OpServiceSetStart, "set a service's start type", true},
	{OpServiceStart, "start a service", true},
	{OpServiceStop, "stop a service", true},
	{OpServiceConfigure, "write a service's whole configuration (start type, image path, account, display name, dependencies, description, failure actions)", true},
	{OpInstallerUnregister, "msiexec /unregister: delete the Windows Installer service (msiserver)", true},
	{OpInstallerRegister, "msiexec /regserver: register the Windows Installer service (msiserver)", true},
	{OpRegistryGet, "read a registry value", false},
	{OpRegistryList, "list a key's subkeys and values", false},
	{OpRegistrySet, "write a registry value (creating its key)", true},
	{OpRegistryDeleteValue, "delete a registry value", true},
	{OpRegistryDeleteKey, "delete a registry key and its subtree", true},
	{OpACLGet, "a file or folder's security descriptor as SDDL (and icacls lines)", false},
	{OpACLSet, "set a file or folder's owner and/or DACL from SDDL", true},
	{OpPathStat, "whether a path exists, its type, size and attributes", false},
	{OpPathList, "a folder's entries", false},
	{OpPathCreate, "create a folder (and missing parents) or a file", true},
	{OpPathMove, "move or rename a file or folder", true},
	{OpPathRemove, "remove a file or an empty folder", true},
	{OpPathSetAttributes, "set which of ReadOnly, Hidden and System a file or folder has", true},
	{OpPathHash, "a file's size and SHA-256", false},
	{OpUserEnsure, "ensure a local user exists, with a password", true},
	{OpUserGet, "a local user's SID, groups and profile", false},
	{OpUserLogon, "log a local user on interactively with its password (from the batch's logons) and load its profile, as the non-elevated contexts do: whether Windows allows it, and which right refuses it", true},
	{OpUserToken, "a context's token as whoami /groups /priv shows it: its user, groups (SIDs and attributes: enabled, deny-only, integrity label, logon SID) and privileges; an interactive logon's first one creates the user's profile, as user.logon's does", true},
	{OpUserRights, "the user rights a local account holds, directly or through its groups", false},
	{OpEventBookmark, "the newest record id of the Application log", false},
	{OpEventQuery, "Application log records after a bookmark, by source", false},
	{OpMutexHold, "hold a named mutex (Global\\_MSIExecute) for a while", true},
	{OpMutexRelease, "release a mutex held by mutex.hold", true},
	{OpMutexGet, "whether a named mutex exists", false},
	{OpMsiInstall, "run msiexec /i in an install context; exit code, verbose log, new events", true},
	{OpMsiUninstall, "run msiexec /x in an install context; exit code, verbose log, new events", true},
	{OpHyperVVMGet, "a Hyper-V VM's state, heartbeat and checkpoints (on a Hyper-V host)", false},
	{OpHyperVCheckpointRestore, "restore a Hyper-V VM's checkpoint (on a Hyper-V host)", true},
	{OpHyperVVMStart, "start a Hyper-V VM unless it runs (on a Hyper-V host)", true},
	{OpSimSnapshot, "save the simulated host's whole state under a name (simulated hosts only)", false},
	{OpSimRestore, "restore a saved state of the simulated host (simulated hosts only)", true},
}

// Lookup returns the spec of an op.
func Lookup(name string) (Spec, bool) {
	for _, s := range Catalog {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Names returns the sorted op names.
func Names() []string {
	n := make([]string, len(Catalog))
	for i, s := range Catalog {
		n[i] = s.Name
	}
	sort.Strings(n)
	return n
}

// ReadOnly reports a batch of ops that change nothing on a host (each in
// the catalog with Changes false): sending it twice is safe.
func ReadOnly(batch []Op) bool {
	for _, op := range batch {
		if spec, ok := Lookup(op.Name); !ok || spec.Changes {
			return false
		}
	}
	return true
}
