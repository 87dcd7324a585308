package provisioner

import "time"

// SetInstallPollInterval shortens the wait's polling for a test; the
// returned func restores it.
func SetInstallPollInterval(d time.Duration) func() {
	old := installPollInterval
	installPollInterval = d
	return func() { installPollInterval = old }
}

// CheckHostDir is checkHostDir.
func CheckHostDir(sddl string) error { return checkHostDir(sddl) }

// SecureHostDir is secureHostDir.
var SecureHostDir = secureHostDir
