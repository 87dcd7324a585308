package win

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// StartType is a service Start value.
type StartType uint32

// Start types (D: Microsoft "Start" registry entry reference).
const (
	StartBoot     StartType = 0
	StartSystem   StartType = 1
	StartAuto     StartType = 2
	StartDemand   StartType = 3
	StartDisabled StartType = 4
)

func (s StartType) String() string {
	names := []string{"Boot", "System", "Automatic", "Manual", "Disabled"}
	if int(s) < len(names) {
		return names[s]
	}
	return fmt.Sprintf("Start(%d)", uint32(s))
}

// Service configuration compared by meaning: the SCM reads one
// configuration in more than one spelling (D: "ImagePath" is REG_EXPAND_SZ,
// names are case-insensitive, a quoted executable path is the same path).
// The system root is taken as C:\Windows (G: the default; msilab's images
// install there).

// ServiceText is a service's image path, display name or description as
// Windows reads it: %SystemRoot% and %windir% expanded, the quotes around
// the executable dropped, case folded.
func ServiceText(s string) string {
	s = strings.TrimSpace(s)
	for _, v := range []string{"%systemroot%", "%windir%"} {
		for {
			i := strings.Index(strings.ToLower(s), v)
			if i < 0 {
				break
			}
			s = s[:i] + `C:\Windows` + s[i+len(v):]
		}
	}
	if strings.HasPrefix(s, `"`) {
		if j := strings.Index(s[1:], `"`); j >= 0 {
			s = s[1:j+1] + s[j+2:]
		}
	}
	return strings.ToLower(s)
}

// ServiceAccount is a service's account as the SCM reads it: LocalSystem,
// .\LocalSystem and NT AUTHORITY\SYSTEM are one account (D: "LocalSystem
// Account"); case folded.
func ServiceAccount(s string) string {
	l := strings.ToLower(strings.TrimSpace(s))
	switch l {
	case "", "localsystem", `.\localsystem`, `nt authority\system`:
		return "localsystem"
	}
	return strings.TrimPrefix(l, `.\`)
}

// FailureActionsText describes a FailureActions value: its reset period
// and actions (type/delay), "none" for no value or no action.
func FailureActionsText(b []byte) string {
	if len(b) < 20 {
		return "none"
	}
	u32 := func(o int) uint32 { return binary.LittleEndian.Uint32(b[o:]) }
	n := int(u32(12))
	if n == 0 {
		return "none"
	}
	parts := []string{fmt.Sprintf("reset %d", u32(0))}
	for i := 0; i < n && 20+8*i+8 <= len(b); i++ {
		parts = append(parts, fmt.Sprintf("%d/%d", u32(20+8*i), u32(24+8*i)))
	}
	return strings.Join(parts, " ")
}
