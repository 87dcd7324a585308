// Package model is the simulated Windows host's state: a file system with
// security descriptors, the registry, the service control manager, local
// users, the Application event log and named mutexes. Its vocabulary
// (SIDs, SDDL, access masks, tokens, the access check, inheritance, OS
// profiles) is package win's. A Machine is built from an OS profile and
// can be snapshotted and restored instantly.
//
// Every rule carries a label in its comment, as docs/evidence.md
// explains: D documented by Microsoft, R reported publicly, G our
// inference, to be confirmed on real Windows.
//
// Operations take the acting *win.Token and fail the way Windows fails,
// with a *PathError or *ServiceError carrying the Win32 code (Code(err))
// and a sentinel for errors.Is. The model's own setup uses
// win.SystemToken.
package model
