package ops

// Windows Installer service registration ops: what `msiexec /unregister`
// and `msiexec /regserver` do to the msiserver service
// (docs/evidence.md#E-service: re-registration).
const (
	OpInstallerUnregister = "installer.unregister"
	OpInstallerRegister   = "installer.register"
)

// InstallerService is the name of the Windows Installer service.
const InstallerService = "msiserver"

// InstallerServiceChange is what installer.unregister and
// installer.register return: the msiserver service before and after (a
// missing service has Exists false). Unregistering a running service only
// marks it for deletion: it goes once it stops.
type InstallerServiceChange struct {
	Before Service `json:"before"`
	After  Service `json:"after"`
}
