package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/installer"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

func init() {
	registerOp(ops.OpMsiInstall, func(ctx context.Context, h *Host, s Session, raw json.RawMessage) (any, error) {
		var a ops.MsiInstallArgs
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		if err := required("package", a.Package); err != nil {
			return nil, err
		}
		return h.runMsi(ctx, s, installer.Request{Action: installer.Install, Package: a.Package},
			msiOptions{a.Context, a.User, a.Properties, a.UI, a.Logon, a.TimeoutSeconds})
	})
	registerOp(ops.OpMsiUninstall, func(ctx context.Context, h *Host, s Session, raw json.RawMessage) (any, error) {
		var a ops.MsiUninstallArgs
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		if err := required("product", a.Product); err != nil {
			return nil, err
		}
		req := installer.Request{Action: installer.Uninstall, Package: a.Product}
		switch {
		case guidArg.MatchString(a.Product):
			req = installer.Request{Action: installer.Uninstall, ProductCode: strings.ToUpper(a.Product)}
		case strings.HasPrefix(a.Product, "{"):
			return nil, invalidArgs("product " + a.Product + " is not a {GUID} product code")
		}
		return h.runMsi(ctx, s, req, msiOptions{a.Context, a.User, a.Properties, a.UI, a.Logon, a.TimeoutSeconds})
	})
	registerOp(ops.OpPathHash, typed(func(a ops.PathHashArgs) error { return required("path", a.Path) }, pathHash))
}

var (
	guidArg = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)
)

// msiOptions are the arguments msi.install and msi.uninstall share.
type msiOptions struct {
	context, user string
	properties    map[string]string
	ui            string
	logon         string // how the context's token is obtained (ops.ContextLogons)
	timeout       int
}

// check validates the shared arguments as the PowerShell module does.
func (o *msiOptions) check() error {
	if o.context == "" {
		o.context = ops.ContextAdminElevated
	}
	known := false
	for _, c := range ops.Contexts {
		known = known || c == o.context
	}
	if !known {
		return invalidArgs("context must be one of " + strings.Join(ops.Contexts, ", "))
	}
	if o.user != "" && o.context != ops.ContextStandardUser {
		return invalidArgs("user applies to the standard-user context only")
	}
	if o.logon == "" {
		o.logon = ops.ContextLogon(o.context)
	}
	if !slices.Contains(ops.ContextLogons[o.context], o.logon) {
		return invalidArgs("logon of the " + o.context + " context must be one of " + strings.Join(ops.ContextLogons[o.context], ", "))
	}
	switch o.ui {
	case "", ops.UINone, ops.UIFull:
	default:
		return invalidArgs("ui must be none or full")
	}
	if o.timeout < 0 || o.timeout > 7200 {
		return invalidArgs("timeout_seconds must be from 0 to 7200")
	}
	for k, v := range o.properties {
		if err := ops.CheckProperty(k, v); err != nil {
			return invalidArgs(err.Error())
		}
	}
	return nil
}

// contextToken is the token msiexec runs with in a context, obtained by
// the context's logon as the module obtains it, and its account; release
// unloads the user's hive if the logon loaded it. The token carries the
// logon group Windows gives that logon, which the engine's connection to
// the service is checked against (docs/evidence.md#E-service-access).
func (h *Host) contextToken(ctx context.Context, s Session, o msiOptions) (tok *win.Token, user string, release func(), err error) {
	admin := bareUser(s.User)
	release = func() {}
	switch o.context {
	case ops.ContextSystem:
		tok, err := h.m.Token(win.KindSystem, "")
		return tok, "", release, err
	case ops.ContextAdminElevated:
		tok, err := h.token(s) // the WinRM session's own: a network logon
		return tok, admin, release, err
	case ops.ContextAdminFiltered:
		return h.userLogon(ctx, s, o.logon, win.KindAdminFiltered, admin)
	}
	user = o.user
	if user == "" {
		user = ops.DefaultStandardUser
	}
	// The module checks the account before it logs on.
	if _, err := h.m.Token(win.KindStandardUser, user); err != nil {
		if errors.Is(err, model.ErrUnknownUser) {
			return nil, "", nil, &ops.Error{Code: ops.CodeNotFound, Message: "no local user " + user + " (user.ensure creates it)", Win32: 1332}
		}
		if errors.Is(err, model.ErrTokenKind) {
			return nil, "", nil, invalidArgs(user + " is an administrator, not a standard user")
		}
		return nil, "", nil, err
	}
	return h.userLogon(ctx, s, o.logon, win.KindStandardUser, user)
}

// userLogon is an account's logon for a non-elevated context: interactive
// (LogonUser with the batch's password, profile loaded), or a scheduled
// task's S4U logon (BATCH; Task Scheduler loads the profile).
func (h *Host) userLogon(ctx context.Context, s Session, logon string, kind win.TokenKind, user string) (*win.Token, string, func(), error) {
	if logon == ops.LogonInteractive {
		tok, release, err := h.interactiveLogon(ctx, s, kind, user)
		return tok, user, release, err
	}
	tok, err := h.m.LogonToken(kind, user, win.LogonBatch)
	if err != nil {
		return nil, "", nil, opError(err)
	}
	admin, err := h.token(s)
	if err != nil {
		return nil, "", nil, opError(err)
	}
	loaded, err := h.m.Registry().LoadUserHive(admin, tok.User)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, "", nil, opError(err)
	}
	return tok, user, func() {
		if loaded {
			_ = h.m.Registry().UnloadUserHive(admin, tok.User)
		}
	}, nil
}

// runMsi is the simulated msiexec: the installer engine on the model.
func (h *Host) runMsi(ctx context.Context, s Session, req installer.Request, o msiOptions) (any, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	tok, user, release, err := h.contextToken(ctx, s, o)
	if err != nil {
		return nil, opError(err)
	}
	defer release()
	if req.Package != "" {
		if fi, err := h.m.FS().Stat(req.Package); err != nil || fi.Dir {
			return nil, &ops.Error{Code: ops.CodeNotFound, Message: "no package file " + req.Package, Win32: 2}
		}
	}
	req.Token, req.User, req.Properties = tok, user, o.properties
	req.LogPath = fmt.Sprintf(`C:\ProgramData\msilab\runs\%08x\msiexec.log`, h.m.NewProcessID())
	req.NoRestart = true // as the module: a restart is reported, never made
	req.UI = installer.UINone
	if o.ui == ops.UIFull {
		req.UI = installer.UIFull
	}
	res, err := installer.Run(ctx, h.m, req)
	if err != nil {
		return nil, &ops.Error{Code: ops.CodeInvalidArgs, Message: err.Error()}
	}
	out := ops.MsiRun{Action: string(req.Action), Context: o.context, Logon: o.logon, User: h.m.LookupSID(tok.User),
		CommandLine: res.CommandLine, ExitCode: int(res.ExitCode), Log: res.Log, Events: []ops.Event{}, Rules: res.Rules,
		RebootRequired: ops.RebootRequired(int(res.ExitCode))}
	for _, e := range res.Events {
		out.Events = append(out.Events, eventOf(e))
	}
	return out, nil
}

func pathHash(c opCall, a ops.PathHashArgs) (any, error) {
	out := ops.PathHash{Path: cleanPath(a.Path)}
	fi, err := c.h.m.FS().Stat(a.Path)
	if errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrPathNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, opError(err)
	}
	if fi.Dir {
		return nil, &ops.Error{Code: ops.CodeConflict, Message: a.Path + " is a directory", Win32: 5}
	}
	data, err := c.h.m.FS().ReadFile(c.tok, a.Path)
	if err != nil {
		return nil, opError(err)
	}
	sum := sha256.Sum256(data)
	out.Exists, out.Size, out.SHA256 = true, int64(len(data)), strings.ToUpper(hex.EncodeToString(sum[:]))
	return out, nil
}
