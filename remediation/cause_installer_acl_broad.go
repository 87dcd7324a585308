package remediation

// FindingInstallerACLBroad: C:\Windows\Installer grants broad groups more than the default.
const FindingInstallerACLBroad = "installer-acl-broad"

func init() {
	broadCause(FindingInstallerACLBroad, 910, `C:\Windows\Installer's ACL gives broad groups more than the OS default (security; not a failure cause)`,
		"restore-installer-acl", probes(aclGet(InstallerDir)), func(h *HostView) (aclSignal, bool) { return h.Sig.installer, true })
}
