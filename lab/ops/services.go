package ops

// Service ops. Start types use the names of Get-Service / sc.exe's
// registry values: Boot (0), System (1), Automatic (2), Manual (3, demand),
// Disabled (4).
const (
	OpServiceGet       = "service.get"
	OpServiceSetStart  = "service.set_start"
	OpServiceStart     = "service.start"
	OpServiceStop      = "service.stop"
	OpServiceConfigure = "service.configure"
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
	Description  string   `json:"description,omitempty"` // as stored: an indirect @file,-id string on inbox services
	// FailureActions is the FailureActions value as stored
	// (SERVICE_FAILURE_ACTIONS: reset period, count, then type/delay pairs).
	FailureActions []byte `json:"failure_actions,omitempty"`
}

// ServiceConfigureArgs is a service's whole configuration, written through
// the SCM (ChangeServiceConfig, ChangeServiceConfig2), as a revert puts a
// recorded one back: every field is written, an empty description,
// dependency list or failure-action list removing it.
type ServiceConfigureArgs struct {
	Name           string   `json:"name"`
	StartType      string   `json:"start_type"` // Boot, System, Automatic, Manual or Disabled
	DisplayName    string   `json:"display_name"`
	ImagePath      string   `json:"image_path"`
	ObjectName     string   `json:"object_name"`
	Dependencies   []string `json:"dependencies,omitempty"`
	Description    string   `json:"description,omitempty"`
	FailureActions []byte   `json:"failure_actions,omitempty"`
}

// ConfigureAs is the service.configure that writes s's recorded
// configuration back.
func ConfigureAs(s Service) ServiceConfigureArgs {
	return ServiceConfigureArgs{Name: s.Name, StartType: s.StartType, DisplayName: s.DisplayName, ImagePath: s.ImagePath,
		ObjectName: s.ObjectName, Dependencies: s.Dependencies, Description: s.Description, FailureActions: s.FailureActions}
}

// ServiceChange is what a changing service op returns.
type ServiceChange struct {
	Before Service `json:"before"`
	After  Service `json:"after"`
}

// Start types by registry value.
var StartTypes = []string{"Boot", "System", "Automatic", "Manual", "Disabled"}
