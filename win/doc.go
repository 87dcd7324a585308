// Package win is msilab's Windows vocabulary: the facts about Windows
// that every layer shares, simulator or not. It holds security
// identifiers (well-known and account SIDs, their SDDL aliases and
// en-US names), SDDL parsing and formatting, access masks and their
// generic mappings, icacls-style rendering, access tokens as Windows
// builds them for each install context, the access check and ACE
// inheritance, comparison of security descriptors by the rights they
// grant, service start types, and the OS profiles (profiles/*.yaml: one
// Windows version each, every value with its source).
//
// Every rule carries an evidence label in its comment: D documented by
// Microsoft, R reported publicly, G our inference, to be confirmed on real
// Windows.
//
// It imports nothing of msilab: the real-host side (faults, remediation,
// the Packer plugin) and the simulated host (lab/sim/model) both build on it.
package win
