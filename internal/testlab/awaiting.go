package testlab

// AwaitingCause lists the built-in failures whose cause the remediation
// engine's finding catalog does not know yet (causes are becoming
// plug-ins, one file each), with what that cause must say and fix. Their
// cells must reproduce; the closed loop (diagnose, fix, rerun) is not
// required of them. remediation's closed-loop test fails once a finding
// names one of them, so that its entry goes when its cause comes.
var AwaitingCause = map[string]string{
	"service-access-batch-logon": "1601 with 0x80070005 (Note 2774): the service refuses a non-admin's batch or network logon; " +
		"no host fix (the logon is the cause; re-registering or restarting the service is the wrong advice): " +
		"run the install from an interactive logon, or elevated",
	"source-missing-uninstall": "1612 with the SOURCEMGMT lines and the cached-package warning (docs/evidence.md#E-source-missing): " +
		"the fix puts the package back where the source list looks (or runs the removal from a copy of the package); " +
		"the .ipi and package 2203 notes are not the 2503 family",
	"target-acl-system-denied": "1303 naming a folder SYSTEM may not write (docs/evidence.md#E-target-acl): " +
		"fix restore-target-acl on the folder the message names and the folder above it",
	"custom-action-missing-exe": "1721 naming the action, its program and its command line (docs/evidence.md#E-custom-action-1721): " +
		"a package problem, no host fix",
}
