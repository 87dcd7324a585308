package win

import "fmt"

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
