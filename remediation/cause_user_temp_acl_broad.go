package remediation

// FindingUserTempACLBroad: the user's %TEMP% grants broad groups more than its inherited default.
const FindingUserTempACLBroad = "user-temp-acl-broad"

func init() {
	broadCause(FindingUserTempACLBroad, 920, `the user's %TEMP% gives broad groups more than its inherited default (security; not a failure cause)`,
		"restore-user-temp-acl", userProbes, func(h *HostView) (aclSignal, bool) {
			return h.Sig.userTemp, !h.St.SystemContext() && h.St.User.Exists
		})
}
