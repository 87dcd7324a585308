package model

import (
	"fmt"
	"github.com/msilab/msilab/win"
	"strings"
)

// Services and the SCM. A service's configuration lives only in its
// registry key, HKLM\SYSTEM\CurrentControlSet\Services\<name> (Start,
// Type, ErrorControl, ImagePath, ObjectName, DisplayName, DependOnService);
// a key without a Type value is not a service. The run state (and PID) is
// in memory. State changes are immediate, except for a service made to
// hang (SetStuck), which rests in StartPending or StopPending, as a
// service whose process never reports to the SCM does.
// Changing configuration, starting and stopping need an elevated admin or
// SYSTEM (D: "Service Security and Access Rights": the SCM and service
// default DACLs give change/start/stop to Administrators and SYSTEM).
// Error codes: Microsoft "StartService", "ControlService" (D).

// ServiceState is SERVICE_STATUS dwCurrentState.
type ServiceState uint32

// Service states (winsvc.h values).
const (
	ServiceStopped      ServiceState = 1
	ServiceStartPending ServiceState = 2
	ServiceStopPending  ServiceState = 3
	ServiceRunning      ServiceState = 4
)

func (s ServiceState) String() string {
	switch s {
	case ServiceStopped:
		return "Stopped"
	case ServiceStartPending:
		return "StartPending"
	case ServiceStopPending:
		return "StopPending"
	case ServiceRunning:
		return "Running"
	}
	return fmt.Sprintf("State(%d)", uint32(s))
}

// ServicesKey is where service configuration lives.
const ServicesKey = `HKLM\SYSTEM\CurrentControlSet\Services`

// ServiceStatus is a service's configuration and run state.
type ServiceStatus struct {
	Name   string
	Config win.ServiceConfig
	State  ServiceState
	PID    uint32
	// MarkedForDelete: deleted while running; gone once stopped.
	MarkedForDelete bool
}

type svcRun struct {
	state ServiceState
	pid   uint32
	open  []string // paths its process holds open (HoldOpen), closed when it stops
}

// unstoppable services refuse SERVICE_CONTROL_STOP (G: RpcSs does not
// accept stop).
var unstoppable = map[string]bool{"rpcss": true}

// Services is the service control manager.
type Services struct{ m *Machine }

// Services returns the SCM.
func (m *Machine) Services() Services { return Services{m} }

func svcErr(op, name string, code Errno, err error) error {
	return &ServiceError{Op: op, Name: name, Code: code, Err: err}
}

// config reads a service's key; ok is false when it is not a service.
func (m *Machine) config(name string) (ServiceStatus, bool) {
	k, _ := m.st.findKey(keyPath{"HKLM", []string{"SYSTEM", "CurrentControlSet", "Services", name}})
	if k == nil {
		return ServiceStatus{}, false
	}
	t, ok := k.vals["type"]
	if !ok {
		return ServiceStatus{}, false
	}
	s := ServiceStatus{Name: k.name, State: ServiceStopped}
	c := &s.Config
	c.Type = uint32(t.Num)
	c.Start = win.StartType(k.vals["start"].Num)
	c.ErrorControl = uint32(k.vals["errorcontrol"].Num)
	c.ImagePath = k.vals["imagepath"].Str
	c.ObjectName = k.vals["objectname"].Str
	c.DisplayName = k.vals["displayname"].Str
	c.DependOnService = append([]string(nil), k.vals["dependonservice"].Multi...)
	c.Description = k.vals["description"].Str
	c.FailureActions = append([]byte(nil), k.vals["failureactions"].Bin...)
	if len(c.FailureActions) == 0 {
		c.FailureActions = nil
	}
	s.MarkedForDelete = k.vals["deleteflag"].Num == 1
	if r := m.st.svc[strings.ToLower(name)]; r != nil {
		s.State, s.PID = r.state, r.pid
	}
	return s, true
}

// Query returns a service's configuration and state.
func (s Services) Query(name string) (ServiceStatus, error) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	st, ok := s.m.config(name)
	if !ok {
		return ServiceStatus{}, svcErr("QueryServiceStatus", name, ErrorServiceDoesNotExist, ErrServiceMissing)
	}
	return st, nil
}

func adminOnly(op, name string, tok *win.Token) error {
	if tok.IsAdmin() {
		return nil
	}
	return svcErr(op, name, ErrorAccessDenied, &AccessDeniedError{Path: ServicesKey + `\` + name, Want: win.KeyWrite, Token: kindOf(tok)})
}

// writeConfig writes cfg to the service key, creating it.
func (m *Machine) writeConfig(name string, cfg win.ServiceConfig) {
	sys := win.SystemToken()
	key := ServicesKey + `\` + name
	_ = m.createKey(sys, key)
	vals := []Value{DWORD("Start", uint32(cfg.Start)), DWORD("Type", cfg.Type),
		DWORD("ErrorControl", cfg.ErrorControl), ExpandSZ("ImagePath", cfg.ImagePath),
		SZ("ObjectName", cfg.ObjectName), SZ("DisplayName", cfg.DisplayName)}
	if len(cfg.DependOnService) > 0 {
		vals = append(vals, MultiSZ("DependOnService", cfg.DependOnService...))
	}
	if cfg.Description != "" {
		vals = append(vals, SZ("Description", cfg.Description))
	}
	if len(cfg.FailureActions) > 0 {
		vals = append(vals, Binary("FailureActions", cfg.FailureActions))
	}
	for _, v := range vals {
		_ = m.setValue(sys, key, v)
	}
}

// Configure rewrites a service's configuration, as ChangeServiceConfig and
// ChangeServiceConfig2 do (sc.exe config, description, failure): start
// type, image path, account, display name, dependencies, description and
// failure actions; Type and ErrorControl are kept. An empty description,
// dependency list or failure action list removes it.
func (s Services) Configure(tok *win.Token, name string, cfg win.ServiceConfig) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	const op = "ChangeServiceConfig"
	if err := adminOnly(op, name, tok); err != nil {
		return err
	}
	st, ok := s.m.config(name)
	switch {
	case !ok:
		return svcErr(op, name, ErrorServiceDoesNotExist, ErrServiceMissing)
	case st.MarkedForDelete:
		return svcErr(op, name, ErrorServiceMarkedForDelete, ErrServiceState)
	}
	k, _ := s.m.st.findKey(keyPath{"HKLM", []string{"SYSTEM", "CurrentControlSet", "Services", st.Name}})
	for _, v := range []string{"dependonservice", "description", "failureactions"} {
		delete(k.vals, v)
	}
	cfg.Type, cfg.ErrorControl = st.Config.Type, st.Config.ErrorControl
	s.m.writeConfig(st.Name, cfg)
	return nil
}

// Create installs a service, as `msiexec /regserver` does for msiserver;
// an existing one gives ERROR_SERVICE_EXISTS (1073).
func (s Services) Create(tok *win.Token, name string, cfg win.ServiceConfig) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	const op = "CreateService"
	if err := adminOnly(op, name, tok); err != nil {
		return err
	}
	if _, ok := s.m.config(name); ok {
		return svcErr(op, name, ErrorServiceExists, ErrServiceExists)
	}
	s.m.writeConfig(name, cfg)
	delete(s.m.st.svc, strings.ToLower(name))
	return nil
}

// Delete removes a service, as `msiexec /unregister` does for msiserver.
// A running service is marked for deletion (DeleteFlag) and goes when it
// stops.
func (s Services) Delete(tok *win.Token, name string) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	const op = "DeleteService"
	if err := adminOnly(op, name, tok); err != nil {
		return err
	}
	st, ok := s.m.config(name)
	switch {
	case !ok:
		return svcErr(op, name, ErrorServiceDoesNotExist, ErrServiceMissing)
	case st.MarkedForDelete:
		return svcErr(op, name, ErrorServiceMarkedForDelete, ErrServiceState)
	case st.State == ServiceRunning:
		return s.m.setValue(win.SystemToken(), ServicesKey+`\`+name, DWORD("DeleteFlag", 1))
	}
	s.m.dropService(name)
	return nil
}

func (m *Machine) dropService(name string) {
	_ = m.deleteKey(win.SystemToken(), ServicesKey+`\`+name)
	delete(m.st.svc, strings.ToLower(name))
}

// SetStartType changes Start, as `sc config <name> start= ...` does.
func (s Services) SetStartType(tok *win.Token, name string, start win.StartType) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	const op = "ChangeServiceConfig"
	if err := adminOnly(op, name, tok); err != nil {
		return err
	}
	st, ok := s.m.config(name)
	switch {
	case !ok:
		return svcErr(op, name, ErrorServiceDoesNotExist, ErrServiceMissing)
	case st.MarkedForDelete:
		return svcErr(op, name, ErrorServiceMarkedForDelete, ErrServiceState)
	}
	return s.m.setValue(win.SystemToken(), ServicesKey+`\`+st.Name, DWORD("Start", uint32(start)))
}

// Start starts a service and, first, the services it depends on.
func (s Services) Start(tok *win.Token, name string) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if err := adminOnly("StartService", name, tok); err != nil {
		return err
	}
	return s.m.start(name, map[string]bool{})
}

// Activate starts a service on a client's behalf, with no caller check:
// a Windows Installer client's COM call makes the SCM start a demand-start
// msiserver even for a standard user (D/R, docs/evidence.md#E-service-stopped: a stopped,
// manual msiserver is not a fault).
func (s Services) Activate(name string) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	err := s.m.start(name, map[string]bool{})
	if Code(err) == ErrorServiceAlreadyRunning {
		return nil
	}
	return err
}

// SetStuck makes a service hang, or stop hanging: started, it stays in
// StartPending; stopped, in StopPending; a pending service takes no
// control; unstuck, it reaches the state it was heading for (G: a service whose process never calls SetServiceStatus, the
// case service.start and service.stop bound their wait for).
func (s Services) SetStuck(name string, stuck bool) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	l := strings.ToLower(name)
	if stuck {
		s.m.st.stuck[l] = true
		return
	}
	delete(s.m.st.stuck, l)
	switch r := s.m.st.svc[l]; {
	case r == nil:
	case r.state == ServiceStartPending: // the process reports at last
		r.state = ServiceRunning
	case r.state == ServiceStopPending:
		delete(s.m.st.svc, l)
	}
}

func (m *Machine) start(name string, visiting map[string]bool) error {
	const op = "StartService"
	st, ok := m.config(name)
	switch {
	case !ok:
		return svcErr(op, name, ErrorServiceDoesNotExist, ErrServiceMissing)
	case st.MarkedForDelete:
		return svcErr(op, name, ErrorServiceMarkedForDelete, ErrServiceState)
	case st.State != ServiceStopped: // running or pending (G for pending)
		return svcErr(op, name, ErrorServiceAlreadyRunning, ErrServiceState)
	case st.Config.Start == win.StartDisabled:
		return svcErr(op, name, ErrorServiceDisabled, ErrServiceDisabled)
	}
	visiting[strings.ToLower(name)] = true
	for _, dep := range st.Config.DependOnService {
		if visiting[strings.ToLower(dep)] {
			return svcErr(op, name, ErrorCircularDependency, ErrServiceDependent)
		}
		ds, ok := m.config(dep)
		switch {
		case !ok || ds.MarkedForDelete:
			return svcErr(op, name, ErrorServiceDependencyDeleted, ErrServiceDependent)
		case ds.State == ServiceRunning:
			continue
		}
		if err := m.start(dep, visiting); err != nil {
			return svcErr(op, name, ErrorServiceDependencyFail, fmt.Errorf("%w: %w", ErrServiceDependent, err))
		}
	}
	state := ServiceRunning
	if m.st.stuck[strings.ToLower(name)] {
		state = ServiceStartPending
	}
	m.st.svc[strings.ToLower(name)] = &svcRun{state: state, pid: m.st.nextPID}
	m.st.nextPID += 4
	return nil
}

// Stop stops a service: ERROR_SERVICE_NOT_ACTIVE (1062) when stopped,
// ERROR_DEPENDENT_SERVICES_RUNNING (1051) when a running service depends
// on it (checked before whether the service accepts stop: G).
func (s Services) Stop(tok *win.Token, name string) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	const op = "ControlService"
	if err := adminOnly(op, name, tok); err != nil {
		return err
	}
	st, ok := s.m.config(name)
	switch {
	case !ok:
		return svcErr(op, name, ErrorServiceDoesNotExist, ErrServiceMissing)
	case st.State == ServiceStopped:
		return svcErr(op, name, ErrorServiceNotActive, ErrServiceState)
	case st.State != ServiceRunning: // D: ControlService, a pending service takes no control
		return svcErr(op, name, ErrorServiceCannotAcceptCtrl, ErrServiceState)
	}
	for lname, r := range s.m.st.svc {
		if r.state != ServiceRunning {
			continue
		}
		other, _ := s.m.config(lname)
		for _, d := range other.Config.DependOnService {
			if strings.EqualFold(d, name) {
				return svcErr(op, name, ErrorDependentServicesRunning, ErrServiceState)
			}
		}
	}
	if unstoppable[strings.ToLower(name)] {
		return svcErr(op, name, ErrorInvalidServiceControl, ErrServiceState)
	}
	if s.m.st.stuck[strings.ToLower(name)] {
		s.m.st.svc[strings.ToLower(name)].state = ServiceStopPending
		return nil
	}
	delete(s.m.st.svc, strings.ToLower(name))
	if st.MarkedForDelete {
		s.m.dropService(st.Name)
	}
	return nil
}

func svcLines(out *[]string, st *state) {
	for name := range st.stuck {
		*out = append(*out, "svc "+name+" hangs")
	}
	for name, r := range st.svc {
		*out = append(*out, fmt.Sprintf("svc %s state=%s pid=%d open=%s", name, r.state, r.pid, strings.ToLower(strings.Join(r.open, ";"))))
	}
}
