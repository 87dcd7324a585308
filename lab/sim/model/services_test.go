package model

import (
	"errors"
	"github.com/msilab/msilab/win"
	"testing"
)

func TestServicesStartStop(t *testing.T) {
	m := newMachine(t, "win10-22h2")
	tok := tokensOf(t, m)
	svc, admin := m.Services(), tok[win.KindAdminElevated]
	must(t, svc.Start(admin, "msiserver"))
	st, _ := svc.Query("MSISERVER")
	if st.State != ServiceRunning || st.PID == 0 || st.Name != "msiserver" {
		t.Errorf("after start: %+v", st)
	}
	if err := svc.Start(admin, "msiserver"); Code(err) != ErrorServiceAlreadyRunning {
		t.Errorf("start twice: %v", err)
	}
	if err := svc.Stop(admin, "RpcSs"); Code(err) != ErrorDependentServicesRunning {
		t.Errorf("stop RpcSs with msiserver running: %v", err)
	}
	must(t, svc.Stop(admin, "msiserver"))
	if err := svc.Stop(admin, "msiserver"); Code(err) != ErrorServiceNotActive || !errors.Is(err, ErrServiceState) {
		t.Errorf("stop stopped: %v", err)
	}
	if err := svc.Stop(admin, "RpcSs"); Code(err) != ErrorInvalidServiceControl {
		t.Errorf("stop RpcSs: %v", err)
	}
	if st, _ := svc.Query("msiserver"); st.State != ServiceStopped || st.PID != 0 {
		t.Errorf("after stop: %+v", st)
	}
	for _, kind := range []win.TokenKind{win.KindAdminFiltered, win.KindStandardUser} {
		if err := svc.Start(tok[kind], "msiserver"); Code(err) != ErrorAccessDenied || !errors.Is(err, ErrAccessDenied) {
			t.Errorf("%s starts msiserver: %v", kind, err)
		}
	}
	// A client's COM call starts the demand-start service for anyone.
	must(t, svc.Activate("msiserver"))
	must(t, svc.Activate("msiserver"))
	if st, _ := svc.Query("msiserver"); st.State != ServiceRunning {
		t.Errorf("activate: %+v", st)
	}
}

func TestServicesDisabledAndDeleted(t *testing.T) {
	m := newMachine(t, "server2022")
	tok := tokensOf(t, m)
	svc, admin := m.Services(), tok[win.KindAdminElevated]
	if err := svc.SetStartType(tok[win.KindStandardUser], "msiserver", win.StartDisabled); Code(err) != ErrorAccessDenied {
		t.Errorf("user changes config: %v", err)
	}
	must(t, svc.SetStartType(admin, "msiserver", win.StartDisabled))
	v, _ := m.Registry().GetValue(admin, ServicesKey+`\msiserver`, "Start")
	if v.Num != 4 {
		t.Errorf("registry is the source of truth: Start=%d", v.Num)
	}
	err := svc.Activate("msiserver")
	var se *ServiceError
	if !errors.As(err, &se) || se.Code != ErrorServiceDisabled || !errors.Is(err, ErrServiceDisabled) || se.Name != "msiserver" {
		t.Errorf("disabled: %v", err)
	}
	// Editing the registry directly changes the service too.
	must(t, m.Registry().SetValue(admin, ServicesKey+`\msiserver`, DWORD("Start", 3)))
	must(t, svc.Start(admin, "msiserver"))
	must(t, svc.Stop(admin, "msiserver"))

	// msiexec /unregister deletes the service; /regserver recreates it.
	must(t, svc.Delete(admin, "msiserver"))
	if err := svc.Start(admin, "msiserver"); Code(err) != ErrorServiceDoesNotExist || !errors.Is(err, ErrServiceMissing) {
		t.Errorf("start deleted: %v", err)
	}
	if _, err := svc.Query("msiserver"); Code(err) != ErrorServiceDoesNotExist {
		t.Errorf("query deleted: %v", err)
	}
	if m.Registry().KeyExists(nil, ServicesKey+`\msiserver`) {
		t.Error("key left behind")
	}
	cfg := m.Profile().Msiserver
	if err := svc.Create(tok[win.KindAdminFiltered], "msiserver", cfg); Code(err) != ErrorAccessDenied {
		t.Errorf("filtered admin creates: %v", err)
	}
	must(t, svc.Create(admin, "msiserver", cfg))
	if err := svc.Create(admin, "msiserver", cfg); Code(err) != ErrorServiceExists {
		t.Errorf("create twice: %v", err)
	}
	must(t, svc.Activate("msiserver"))

	// Deleting a running service marks it; it goes once stopped.
	must(t, svc.Delete(admin, "msiserver"))
	st, _ := svc.Query("msiserver")
	if !st.MarkedForDelete || st.State != ServiceRunning {
		t.Errorf("marked: %+v", st)
	}
	if err := svc.Delete(admin, "msiserver"); Code(err) != ErrorServiceMarkedForDelete {
		t.Errorf("delete twice: %v", err)
	}
	must(t, svc.Stop(admin, "msiserver"))
	if _, err := svc.Query("msiserver"); Code(err) != ErrorServiceDoesNotExist {
		t.Errorf("after stop of a marked service: %v", err)
	}
}

func TestServiceDependencies(t *testing.T) {
	m := newMachine(t, "win11-24h2")
	tok := tokensOf(t, m)
	svc, admin := m.Services(), tok[win.KindAdminElevated]
	base := win.ServiceConfig{Start: win.StartDemand, Type: 0x10, ImagePath: `C:\x.exe`, ObjectName: "LocalSystem"}
	withDeps := func(deps ...string) win.ServiceConfig { c := base; c.DependOnService = deps; return c }
	must(t, svc.Create(admin, "A", withDeps("B")))
	must(t, svc.Create(admin, "B", withDeps()))
	must(t, svc.Start(admin, "A"))
	if b, _ := svc.Query("B"); b.State != ServiceRunning {
		t.Error("dependency not started first")
	}
	must(t, svc.Create(admin, "C", withDeps("Missing")))
	if err := svc.Start(admin, "C"); Code(err) != ErrorServiceDependencyDeleted {
		t.Errorf("missing dependency: %v", err)
	}
	must(t, svc.Create(admin, "D", withDeps("E")))
	must(t, svc.Create(admin, "E", withDeps()))
	must(t, svc.SetStartType(admin, "E", win.StartDisabled))
	if err := svc.Start(admin, "D"); Code(err) != ErrorServiceDependencyFail || !errors.Is(err, ErrServiceDisabled) {
		t.Errorf("disabled dependency: %v", err)
	}
	must(t, svc.Create(admin, "F", withDeps("G")))
	must(t, svc.Create(admin, "G", withDeps("F")))
	if err := svc.Start(admin, "F"); Code(err) != ErrorServiceDependencyFail || !errors.Is(err, ErrServiceDependent) {
		t.Errorf("cycle: %v", err)
	}
}
