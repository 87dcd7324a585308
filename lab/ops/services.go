package ops

// Service ops. Start types use the names of Get-Service / sc.exe's
// registry values: Boot (0), System (1), Automatic (2), Manual (3, demand),
// Disabled (4).
const (
	OpServiceGet      = "service.get"
	OpServiceSetStart = "service.set_start"
	OpServiceStart    = "service.start"
	OpServiceStop     = "service.stop"
)

// ServiceArgs names a service.
type ServiceArgs struct {
	Name string `json:"name"`
}

// ServiceSetStartArgs sets a start type.
type ServiceSetStartArgs struct {
	Name      string `json:"name"`
	StartType string `json:"start_type"` // Boot, System, Automatic, Manual or Disabled
}

// Service is a service's configuration and state. A service whose registry
// key is missing (unregistered) has Exists false and nothing else.
type Service struct {
	Name         string   `json:"name"`
	Exists       bool     `json:"exists"`
	DisplayName  string   `json:"display_name,omitempty"`
	StartType    string   `json:"start_type,omitempty"`
	Start        int      `json:"start"`           // the registry Start value, 0-4
	State        string   `json:"state,omitempty"` // Stopped, StartPending, StopPending, Running
	PID          int      `json:"pid,omitempty"`
	ImagePath    string   `json:"image_path,omitempty"`
	ObjectName   string   `json:"object_name,omitempty"`
	Dependencies []string `json:"dependencies,omitempty"`
}

// ServiceChange is what a changing service op returns.
type ServiceChange struct {
	Before Service `json:"before"`
	After  Service `json:"after"`
}

// Start types by registry value.
var StartTypes = []string{"Boot", "System", "Automatic", "Manual", "Disabled"}
