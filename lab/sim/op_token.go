package sim

import (
	"context"
	"encoding/json"

	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

func init() { registerOp(ops.OpUserToken, userToken) }

// userToken is user.token: the token a context's default logon gives, as
// msi.install obtains it (contextToken), read as the module reads it
// (GetTokenInformation: TokenGroups, TokenPrivileges). The module does
// not start a LocalSystem process to read the system context's token:
// NotSupported here too.
func userToken(ctx context.Context, h *Host, s Session, raw json.RawMessage) (any, error) {
	var a ops.UserTokenArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	o := msiOptions{context: a.Context, user: a.User}
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.context == ops.ContextSystem {
		return nil, &ops.Error{Code: ops.CodeNotSupported, Message: "user.token does not read the system context's token: it needs a process running as LocalSystem"}
	}
	tok, _, release, err := h.contextToken(ctx, s, o)
	if err != nil {
		return nil, opError(err)
	}
	release()
	out := ops.UserToken{Context: o.context, Logon: o.logon, SID: string(tok.User), User: h.m.LookupSID(tok.User),
		Groups: []ops.TokenGroup{}, Privileges: []ops.TokenPrivilege{}}
	for _, g := range tok.Groups {
		out.Groups = append(out.Groups, ops.TokenGroup{SID: string(g.SID), Name: h.tokenGroupName(g.SID), Attributes: uint32(g.Attrs)})
	}
	for _, p := range tok.Privileges {
		out.Privileges = append(out.Privileges, ops.TokenPrivilege{Name: p, Enabled: slices.Contains(tok.EnabledPrivileges, p)})
	}
	return out, nil
}

// tokenGroupName names a token group as whoami does: a logon SID
// S-1-5-5-X-Y is NT AUTHORITY\LogonSessionId_X_Y; a SID that does not
// translate has no name.
func (h *Host) tokenGroupName(s win.SID) string {
	if rest, ok := strings.CutPrefix(string(s), "S-1-5-5-"); ok {
		return `NT AUTHORITY\LogonSessionId_` + strings.ReplaceAll(rest, "-", "_")
	}
	if n := h.m.LookupSID(s); n != string(s) {
		return n
	}
	return ""
}
