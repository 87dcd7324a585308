package provisioner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// installPollInterval is how often a held Global\_MSIExecute is read again
// while waiting for another install to end (tests shorten it).
var installPollInterval = 5 * time.Second

// OtherInstallError is Global\_MSIExecute held by a process other than
// msilab's mutex.hold for longer than the wait: a real install in
// progress, not the mutex-held fault.
type OtherInstallError struct {
	Waited time.Duration
	// Holder is who holds it, as far as the host says: the simulated
	// host names the process; a real one says only "another process", and
	// Services then tells Windows Installer from servicing.
	Holder   string
	Services string
}

func (e *OtherInstallError) Error() string {
	return fmt.Sprintf("%s has been held by %s for %s: an install in progress (%s), not msilab's mutex.hold, so not "+
		"the mutex-held fault. It is usually Windows Update installing an update's own MSI (msiexec) or servicing "+
		"(TrustedInstaller); the answer file's first-logon command turns automatic updates off so that none runs "+
		"during the build. Let it finish and build again, or raise install_wait_timeout",
		ops.MutexExecute, e.Holder, e.Waited.Round(time.Second), e.Services)
}

// waitOtherInstall reads Global\_MSIExecute; while a process other than
// msilab's mutex.hold holds it (a real install in progress: Windows
// Installer running an update's MSI, or servicing), it waits up to limit
// for it to end. It returns what it waited for ("" when nothing), or an
// *OtherInstallError. The mutex held by msilab's mutex.hold is the
// mutex-held fault: it returns at once and leaves it to Detect.
func waitOtherInstall(ctx context.Context, s lab.Session, limit time.Duration, say func(string)) (string, error) {
	start := time.Now()
	var first *ops.Mutex
	var services string
	for {
		res, err := s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: ops.MutexExecute})})
		if err != nil {
			return "", fmt.Errorf("read %s: %w", ops.MutexExecute, err)
		}
		var m ops.Mutex
		if err := res[0].Decode(&m); err != nil {
			return "", fmt.Errorf("read %s: %w", ops.MutexExecute, err)
		}
		if !m.Held || m.Holder == ops.MutexHolder {
			if first == nil {
				return "", nil
			}
			waited := time.Since(start).Round(time.Second)
			return fmt.Sprintf("%s was held by %s (%s), not by msilab: a real install in progress, which ended after %s",
				ops.MutexExecute, holderName(*first), services, waited), nil
		}
		if first == nil {
			first = &m
			services = installServices(ctx, s)
			say(fmt.Sprintf("%s is held by %s (%s), not by msilab's mutex.hold: an install is in progress; waiting up to %s for it to end...",
				ops.MutexExecute, holderName(m), services, limit))
		}
		if time.Since(start) >= limit {
			return "", &OtherInstallError{Waited: time.Since(start), Holder: holderName(*first), Services: services}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(min(installPollInterval, max(limit-time.Since(start), time.Millisecond))):
		}
	}
}

func holderName(m ops.Mutex) string {
	if m.Holder != "" {
		return m.Holder
	}
	return "another process"
}

// installServices says which of the services behind an install run: the
// Windows Installer service (msiserver: an MSI's execute phase) and the
// Windows Modules Installer (TrustedInstaller: servicing, Windows Update).
func installServices(ctx context.Context, s lab.Session) string {
	names := []string{"msiserver", "TrustedInstaller"}
	var batch []ops.Op
	for _, n := range names {
		batch = append(batch, ops.MustNew(ops.OpServiceGet, ops.ServiceArgs{Name: n}))
	}
	res, err := s.RunBatch(ctx, batch)
	if err != nil {
		return "services unknown: " + err.Error()
	}
	var parts []string
	for i, n := range names {
		var svc ops.Service
		switch err := res[i].Decode(&svc); {
		case err != nil || !svc.Exists:
			parts = append(parts, n+" absent")
		case svc.PID != 0:
			parts = append(parts, fmt.Sprintf("%s %s, PID %d", n, strings.ToLower(svc.State), svc.PID))
		default:
			parts = append(parts, n+" "+strings.ToLower(svc.State))
		}
	}
	return strings.Join(parts, "; ")
}
