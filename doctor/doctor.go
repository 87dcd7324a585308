// Package doctor checks lab hosts before a run: `msilab doctor` prints
// its table, and the runner refuses a host that fails it. Each check gives
// one row: ok, warning or failed, the reason, and the command that fixes
// it. A host with a failed row cannot run cells.
//
// The checks only read the host. Like every msilab command, the op
// batches install msilab's op module on a host that lacks it (the op
// module row says what was there before).
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// Status is a check's outcome.
type Status string

// Outcomes. Skipped: an earlier failure (no connection) left nothing to look at.
const (
	OK      Status = "ok"
	Warning Status = "warning"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Row is one check of one host.
type Row struct {
	Host   string `json:"host"`
	Check  string `json:"check"`
	Status Status `json:"status"`
	Reason string `json:"reason"`
	// Fix is the command (or step) that fixes a warning or failure.
	Fix string `json:"fix,omitempty"`
}

// Checks, in the order their rows come.
const (
	CheckEndpoint   = "endpoint"
	CheckTLS        = "tls"
	CheckAuth       = "auth"
	CheckModule     = "op module"
	CheckAdmin      = "admin token"
	CheckPowerShell = "powershell"
	CheckWinRM      = "winrm limits"
	CheckLabUser    = "lab user"
	CheckLogon      = "logon rights"
	CheckMsiserver  = "msiserver"
	CheckFaults     = "faults"
	CheckPending    = "pending install"
	CheckReboot     = "pending reboot"
	CheckDisk       = "disk"
	CheckClock      = "clock"
	CheckSnapshot   = "snapshot"
	CheckBuild      = "os build"
)

// Options tune the thresholds.
type Options struct {
	// Now is the runner's clock (default time.Now).
	Now func() time.Time
	// MaxSkew is how far the host's clock may be from the runner's
	// before the clock check warns (default 5 minutes).
	MaxSkew time.Duration
	// MinFreeBytes is the free space the system drive needs (default
	// 2 GiB); below four times that the disk check warns.
	MinFreeBytes uint64
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = 5 * time.Minute
	}
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = 2 << 30
	}
	return o
}

// Check runs every check on a host and returns its rows in check order.
func Check(ctx context.Context, h *lab.Host, opts Options) []Row {
	c := &checker{h: h, opts: opts.withDefaults()}
	c.run(ctx)
	return c.rows
}

// AnyFailed reports whether rows hold a failure: the host cannot run cells.
func AnyFailed(rows []Row) bool {
	for _, r := range rows {
		if r.Status == Failed {
			return true
		}
	}
	return false
}

// Failures lists the failed rows as "check: reason".
func Failures(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if r.Status == Failed {
			out = append(out, r.Check+": "+r.Reason)
		}
	}
	return out
}

// HostError is a host that failed its checks (the runner's preflight).
type HostError struct {
	Host     string
	Failures []string
}

func (e *HostError) Error() string {
	return fmt.Sprintf("host %s failed msilab doctor's checks: %s", e.Host, strings.Join(e.Failures, "; "))
}

// checker accumulates one host's rows.
type checker struct {
	h    *lab.Host
	opts Options
	rows []Row
}

func (c *checker) add(check string, st Status, reason, fix string) {
	c.rows = append(c.rows, Row{Host: c.h.Spec.Name, Check: check, Status: st, Reason: reason, Fix: fix})
}

func (c *checker) skip(checks ...string) {
	for _, ch := range checks {
		c.add(ch, Skipped, "not checked: the host could not be reached", "")
	}
}

func (c *checker) run(ctx context.Context) {
	s, ok := c.connect(ctx)
	if !ok {
		c.skip(CheckModule, CheckAdmin, CheckPowerShell, CheckWinRM, CheckLabUser, CheckLogon, CheckMsiserver,
			CheckFaults, CheckPending, CheckReboot, CheckDisk, CheckClock)
		c.snapshot(ctx)
		c.skip(CheckBuild)
		return
	}
	c.module(ctx, s)
	rd, err := c.read(ctx, s)
	if blocked := (&ops.Error{}); errors.As(err, &blocked) && blocked.Code == ops.CodeNotSupported {
		// PowerShell cannot import the module (docs/evidence.md#E-module-policy).
		c.add(CheckAdmin, Skipped, "not checked: the op module cannot run (see powershell)", "")
		c.add(CheckPowerShell, Failed, blocked.Message, moduleBlockedFix(blocked.Message))
		for _, ch := range []string{CheckWinRM, CheckLabUser, CheckLogon, CheckMsiserver, CheckFaults, CheckPending, CheckReboot, CheckDisk, CheckClock} {
			c.add(ch, Skipped, "not checked: the op module cannot run (see powershell)", "")
		}
		c.snapshot(ctx)
		c.skip(CheckBuild)
		return
	}
	if err != nil {
		reason := "the host's reads failed: " + err.Error()
		for _, ch := range []string{CheckAdmin, CheckPowerShell, CheckWinRM, CheckLabUser, CheckLogon, CheckMsiserver,
			CheckFaults, CheckPending, CheckReboot, CheckDisk, CheckClock} {
			c.add(ch, Failed, reason, "fix what the reason names, then run msilab doctor again")
		}
		c.snapshot(ctx)
		c.skip(CheckBuild)
		return
	}
	c.admin(rd)
	c.powershell(rd)
	c.winrm(rd)
	c.labUser(rd)
	c.logonRights(rd)
	c.msiserver(rd)
	c.faults(ctx, s)
	c.pending(rd)
	c.reboot(rd)
	c.disk(rd)
	c.clock(rd)
	c.snapshot(ctx)
	c.build(rd)
}

// moduleBlockedFix is the fix for a host whose PowerShell cannot import the
// op module: a language mode or an execution policy from Group Policy.
func moduleBlockedFix(reason string) string {
	if strings.Contains(reason, "Group Policy") {
		return "set Group Policy's \"Turn on Script Execution\" (Windows Components > Windows PowerShell) to Not Configured or " +
			"\"Allow local scripts and remote signed scripts\" for the lab hosts, then `gpupdate /force`"
	}
	return "exempt C:\\ProgramData\\msilab from the WDAC/AppLocker policy that constrains PowerShell on the lab host"
}

// connect dials the host (its session is the one the run will use) and
// gives the endpoint, TLS and auth rows.
func (c *checker) connect(ctx context.Context) (lab.Session, bool) {
	ep := c.h.Endpoint
	url := ep.URL()
	s, err := c.h.Session(ctx)
	var (
		unr   *lab.UnreachableError
		auth  *lab.AuthError
		trans *lab.TransportError
	)
	switch {
	case err == nil:
		c.add(CheckEndpoint, OK, url+" answered", "")
	case errors.As(err, &unr):
		c.add(CheckEndpoint, Failed, fmt.Sprintf("cannot connect to %s: %v", unr.Addr, unr.Err),
			"start the VM; on it, `winrm quickconfig` (or the Packer image's WinRM setup) and allow the port in the firewall")
		c.skip(CheckTLS, CheckAuth)
		return nil, false
	case errors.As(err, &trans) && isTLS(err):
		c.add(CheckEndpoint, OK, url+" accepts connections", "")
		c.add(CheckTLS, Failed, "the TLS handshake failed: "+err.Error(),
			"export the WinRM listener's certificate (or its CA) to the file lab.yaml's ca_file names, as the Packer image's lab.yaml entry says")
		c.skip(CheckAuth)
		return nil, false
	case errors.As(err, &auth):
		c.add(CheckEndpoint, OK, url+" answered", "")
		c.tls()
		c.add(CheckAuth, Failed, err.Error(),
			fmt.Sprintf("export %s with the password of %s, and check that WinRM allows %s auth (`winrm get winrm/config/service/auth`)",
				c.h.Spec.PasswordEnv, ep.User, ep.Auth))
		return nil, false
	default:
		c.add(CheckEndpoint, Failed, err.Error(), "check that the endpoint in lab.yaml is the host's WinRM listener (`winrm enumerate winrm/config/listener`)")
		c.skip(CheckTLS, CheckAuth)
		return nil, false
	}
	c.tls()
	c.add(CheckAuth, OK, fmt.Sprintf("%s accepted (%s auth)", ep.User, ep.Auth), "")
	return s, true
}

func isTLS(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "x509") || strings.Contains(msg, "tls:") || strings.Contains(msg, "certificate")
}

func (c *checker) tls() {
	ep := c.h.Endpoint
	switch {
	case ep.HTTPS && ep.CAFile != "":
		c.add(CheckTLS, OK, "HTTPS, the certificate verified against "+ep.CAFile, "")
	case ep.HTTPS:
		c.add(CheckTLS, Warning, "HTTPS without certificate checks (insecure: true)",
			"pin the listener's certificate: set ca_file in lab.yaml and remove insecure")
	default:
		c.add(CheckTLS, Warning, "plain HTTP: the traffic is not encrypted by TLS",
			"use the HTTPS listener (port 5986) with ca_file in lab.yaml")
	}
}

// module reads the op module's hash before any batch (a batch would
// replace a missing or different module).
func (c *checker) module(ctx context.Context, s lab.Session) {
	fi, err := s.Download(ctx, ops.ModulePath, io.Discard)
	var exit *lab.ExitError
	switch {
	case errors.As(err, &exit):
		c.add(CheckModule, Warning, ops.ModulePath+" is not installed: msilab installs it on its first batch",
			"nothing to do (images built with the msilab provisioner have it)")
	case err != nil:
		c.add(CheckModule, Failed, "could not read "+ops.ModulePath+": "+err.Error(), "check the account can read C:\\ProgramData\\msilab")
	case !strings.EqualFold(fi.SHA256, ops.ModuleSHA256):
		c.add(CheckModule, Warning, fmt.Sprintf("%s has SHA-256 %s, this msilab's is %s (another msilab version, or a changed file): msilab replaces it on its first batch",
			ops.ModulePath, short(fi.SHA256), short(ops.ModuleSHA256)),
			"rebuild the image with this msilab's provisioner, or let the run replace the module")
	default:
		c.add(CheckModule, OK, "installed, SHA-256 "+short(fi.SHA256), "")
	}
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12] + "…"
	}
	return hash
}
