// Package model is the simulated Windows host's model of the parts of
// Windows that Windows Installer failures depend on: security identifiers
// and descriptors (SDDL, icacls), tokens and a real access check, ACE
// inheritance, a file system with security descriptors, the registry, the
// service control manager, local users, the Application event log and
// named mutexes. A Machine is built from an OS profile (profiles/*.yaml)
// and can be snapshotted and restored instantly.
//
// Every rule carries a label in its comment, as EVIDENCE.md asks: D
// documented by Microsoft, R reported publicly, G our inference, to be
// confirmed on real Windows.
//
// Operations take the acting *Token and fail the way Windows fails, with
// a *PathError or *ServiceError carrying the Win32 code (Code(err)) and a
// sentinel for errors.Is. The model's own setup uses SystemToken.
package model
