// Package capture turns a host into an OS profile: it reads, through ops,
// what the profiles in win/profiles describe (the build and UBR, msi.dll's
// version, the default ACLs of the folders the faults touch, msiserver's
// and RpcSs's configuration, the Installer policies, the built-in
// Administrator, the token groups and privileges of each context) and writes a profile file in their format, every value
// with its source: "captured from HOST on DATE". The simulator runs such
// a file (msilab run --profile FILE, sim serve --profile FILE, or
// profile_file: in lab.yaml for calibration).
package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
	"gopkg.in/yaml.v3"
)

// Registry keys and folders the capture reads.
const (
	currentVersionKey = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	servicesKey       = `HKLM\SYSTEM\CurrentControlSet\Services\`
	policyKey         = `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`
	tempDir           = `C:\Windows\Temp`
	installerDir      = `C:\Windows\Installer`
)

// Options configure a capture.
type Options struct {
	// OS is the built-in profile the host is a machine of: the captured
	// profile takes its name (so scenarios' os: lists and overrides apply)
	// and what a host cannot show (the behaviour of an absent DisableMSI).
	// "" picks it from the host: the profile host.info names (simulated
	// hosts), else the built-in one of the same edition and build.
	OS string
	// StandardUser is the lab's non-admin account, whose profile folder
	// gives user_profile_sddl (default ops.DefaultStandardUser).
	StandardUser string
	// Now is the capture's time (default time.Now).
	Now func() time.Time
}

// Profile is a captured profile and where each of its values came from.
type Profile struct {
	win.Profile
	// Host is the host's name, Date the capture's time.
	Host string
	Date time.Time
	// Notes are each field's (YAML key's) source, in words.
	Notes map[string]string
}

// ErrNoBase is returned when no built-in profile matches the host and
// Options.OS names none.
var ErrNoBase = errors.New("capture: no built-in OS profile matches the host")

// Batcher runs an op batch (lab.Session.RunBatch).
type Batcher func(ctx context.Context, batch []ops.Op) ([]ops.Result, error)

// Capture reads the host through run and builds its profile.
func Capture(ctx context.Context, run Batcher, opts Options) (*Profile, error) {
	if opts.StandardUser == "" {
		opts.StandardUser = ops.DefaultStandardUser
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	batch := []ops.Op{
		ops.MustNew(ops.OpHostInfo, nil),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: currentVersionKey}),
		ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: tempDir}),
		ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: installerDir}),
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: opts.StandardUser}),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: servicesKey + "msiserver"}),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: servicesKey + "RpcSs"}),
		ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: policyKey}),
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: "Administrator"}),
	}
	out, err := run(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if len(out) != len(batch) {
		return nil, fmt.Errorf("capture: %d results for %d ops", len(out), len(batch))
	}
	var (
		info             ops.HostInfo
		cv, msi, rpc, pk ops.RegistryKey
		temp, inst       ops.ACL
		std, admin       ops.User
	)
	for i, v := range []any{&info, &cv, &temp, &inst, &std, &msi, &rpc, &pk, &admin} {
		if err := out[i].Decode(v); err != nil {
			return nil, fmt.Errorf("capture: %s: %w", batch[i].Name, err)
		}
	}
	base, err := baseProfile(opts.OS, info, cv)
	if err != nil {
		return nil, err
	}
	host := strings.ToUpper(info.Hostname)
	c := &Profile{Host: host, Date: now().UTC(), Notes: map[string]string{}}
	p := &c.Profile
	p.Name = base.Name
	p.Hostname = host
	c.inherit("name", "the name of the built-in profile of the host's edition and build, "+base.Name+", so that scenarios' os: lists and overrides apply")
	c.note("hostname", "host.info")

	vals := values(cv)
	str := func(field, name string) string {
		v, ok := vals[name]
		if ok {
			c.note(field, currentVersionKey+` `+name)
		} else {
			c.note(field, currentVersionKey+` `+name+": absent on the host")
		}
		return v.String
	}
	p.DisplayName = str("display_name", "ProductName")
	p.EditionID = str("edition_id", "EditionID")
	p.InstallationType = str("installation_type", "InstallationType")
	p.DisplayVersion = str("display_version", "DisplayVersion")
	p.ReleaseID = str("release_id", "ReleaseId")
	if p.Build, err = strconv.Atoi(str("build", "CurrentBuild")); err != nil {
		return nil, fmt.Errorf("capture: %s CurrentBuild %q is not a number", currentVersionKey, vals["CurrentBuild"].String)
	}
	p.UBR = int(vals["UBR"].Number)
	c.note("ubr", currentVersionKey+" UBR")
	p.Edition = win.EditionClient
	if strings.HasPrefix(p.InstallationType, "Server") {
		p.Edition = win.EditionServer
	}
	c.note("edition", "from InstallationType "+strconv.Quote(p.InstallationType))
	p.MsiVersion = info.MsiVersion
	c.note("msi_version", `host.info: the file version of C:\Windows\System32\msi.dll`)
	p.ClockStart = c.Date.Truncate(time.Second)
	c.inherit("clock_start", "the time of the capture")
	p.DisableMSIWhenAbsent = base.DisableMSIWhenAbsent
	c.inherit("disable_msi_when_absent", "how an absent policy behaves is not a value a host shows: the built-in profile "+base.Name+"'s")
	p.BuiltinAdminEnabled = admin.Exists && admin.Enabled
	c.note("builtin_admin_enabled", `user.get Administrator`)

	if !temp.Exists || !inst.Exists {
		return nil, fmt.Errorf("capture: %s or %s is missing on %s: capture a clean host (msilab doctor checks it)", tempDir, installerDir, host)
	}
	p.TempSDDL, p.InstallerSDDL = temp.SDDL, inst.SDDL
	c.note("temp_sddl", "acl.get "+tempDir)
	c.note("installer_sddl", "acl.get "+installerDir)
	p.UserProfileSDDL, err = c.userProfileSDDL(ctx, run, std, base)
	if err != nil {
		return nil, err
	}

	if p.Msiserver, err = serviceConfig(msi); err != nil {
		return nil, fmt.Errorf("capture: msiserver: %w", err)
	}
	c.note("msiserver", servicesKey+"msiserver")
	if p.RpcSs, err = serviceConfig(rpc); err != nil {
		return nil, fmt.Errorf("capture: RpcSs: %w", err)
	}
	c.note("rpcss", servicesKey+"RpcSs")
	for _, v := range pk.Values {
		if v.Type != "REG_DWORD" {
			continue
		}
		if p.Policies == nil {
			p.Policies = map[string]uint32{}
		}
		p.Policies[v.Name] = uint32(v.Number)
	}
	c.note("policies", policyKey+" (its DWORD values; none: the key is empty or absent)")
	if err := c.tokens(ctx, run, opts, std); err != nil {
		return nil, err
	}

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range c.Notes {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		p.Sources = append(p.Sources, k+": "+c.Notes[k])
	}
	return c, nil
}

// note records a field's source, prefixed with the host and the date.
func (c *Profile) note(field, how string) {
	c.Notes[field] = "captured from " + c.Host + " on " + c.Date.Format("2006-01-02") + ": " + how
}

// inherit records the source of a field not read from the host.
func (c *Profile) inherit(field, why string) {
	c.Notes[field] = "not captured from " + c.Host + " on " + c.Date.Format("2006-01-02") + ": " + why
}

// userProfileSDDL reads the standard user's profile folder, its SID
// written as <USER>. A user that never logged on has no profile folder:
// the built-in profile's value is kept and the note says so.
func (c *Profile) userProfileSDDL(ctx context.Context, run Batcher, std ops.User, base win.Profile) (string, error) {
	if !std.Exists || std.Profile == "" || std.SID == "" {
		c.inherit("user_profile_sddl", "the lab user has no profile folder yet (it never logged on): the built-in profile "+base.Name+"'s")
		return base.UserProfileSDDL, nil
	}
	out, err := run(ctx, []ops.Op{ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: std.Profile})})
	if err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	var acl ops.ACL
	if err := out[0].Decode(&acl); err != nil {
		return "", fmt.Errorf("capture: acl.get %s: %w", std.Profile, err)
	}
	if !acl.Exists {
		c.inherit("user_profile_sddl", std.Profile+" is missing: the built-in profile "+base.Name+"'s")
		return base.UserProfileSDDL, nil
	}
	c.note("user_profile_sddl", "acl.get "+std.Profile+", the lab user's SID written <USER>")
	return strings.ReplaceAll(acl.SDDL, std.SID, "<USER>"), nil
}

// tokenContexts are the contexts whose tokens the capture asks for
// (user.token does not read the system context's: its note says so).
var tokenContexts = []string{ops.ContextAdminElevated, ops.ContextAdminFiltered, ops.ContextStandardUser, ops.ContextSystem}

// tokens reads each context's token (user.token) into the profile's
// tokens, logon SIDs written <LOGON> and the machine's account domain
// <DOMAIN>. A context whose token cannot be read (no password for its
// logon in the batch's logons, an account that is not UAC-filtered, the
// system context) keeps the simulator's own, and the note says why.
func (c *Profile) tokens(ctx context.Context, run Batcher, opts Options, std ops.User) error {
	batch := make([]ops.Op, len(tokenContexts))
	for i, context := range tokenContexts {
		a := ops.UserTokenArgs{Context: context}
		if context == ops.ContextStandardUser {
			a.User = opts.StandardUser
		}
		batch[i] = ops.MustNew(ops.OpUserToken, a)
	}
	out, err := run(ctx, batch)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if len(out) != len(batch) {
		return fmt.Errorf("capture: %d results for %d ops", len(out), len(batch))
	}
	var read, missed []string
	for i, context := range tokenContexts {
		var t ops.UserToken
		if err := out[i].Decode(&t); err != nil {
			var oe *ops.Error
			if !errors.As(err, &oe) {
				return fmt.Errorf("capture: user.token %s: %w", context, err)
			}
			missed = append(missed, context+" ("+oe.Message+")")
			continue
		}
		// The machine's account domain: a local account's SID without its RID.
		domain := win.SID(std.SID).Domain()
		if std.SID == "" && strings.HasPrefix(t.SID, "S-1-5-21-") {
			domain = win.SID(t.SID).Domain()
		}
		var pt win.ProfileToken
		for _, g := range t.Groups {
			sid, err := win.ParseSID(g.SID)
			if err != nil {
				return fmt.Errorf("capture: user.token %s: %w", context, err)
			}
			pt.Groups = append(pt.Groups, win.ProfileGroup{SID: win.NormalizeTokenSID(sid, domain), Attributes: win.GroupAttrs(g.Attributes).Words()})
		}
		for _, p := range t.Privileges {
			pt.Privileges = append(pt.Privileges, win.ProfilePrivilege{Name: p.Name, Enabled: p.Enabled})
		}
		if c.Tokens == nil {
			c.Tokens = map[win.TokenKind]win.ProfileToken{}
		}
		c.Tokens[win.TokenKind(context)] = pt
		read = append(read, context)
	}
	if len(read) == 0 {
		c.inherit("tokens", "no context's token could be read, so the simulator's own tokens: "+strings.Join(missed, "; "))
		return nil
	}
	how := "user.token " + strings.Join(read, ", ") + " (logon SIDs written <LOGON>, the machine's account domain <DOMAIN>)"
	if len(missed) > 0 {
		how += "; not read, so the simulator's own tokens: " + strings.Join(missed, "; ")
	}
	c.note("tokens", how)
	return nil
}

// baseProfile is the built-in profile the captured one is named after.
func baseProfile(name string, info ops.HostInfo, cv ops.RegistryKey) (win.Profile, error) {
	if name == "" {
		name = info.Profile
	}
	if name != "" {
		p, err := win.LookupProfile(name)
		if err != nil {
			return win.Profile{}, fmt.Errorf("capture: %w", err)
		}
		return p, nil
	}
	vals := values(cv)
	build, _ := strconv.Atoi(vals["CurrentBuild"].String)
	server := strings.HasPrefix(vals["InstallationType"].String, "Server")
	for _, p := range win.Profiles() {
		if p.Build == build && (p.Edition == win.EditionServer) == server {
			return p, nil
		}
	}
	return win.Profile{}, fmt.Errorf("%w: build %d (%s); name the nearest with --os (%s)", ErrNoBase, build,
		vals["InstallationType"].String, strings.Join(win.ProfileNames(), ", "))
}

// values indexes a key's values by name.
func values(k ops.RegistryKey) map[string]ops.RegistryValue {
	out := map[string]ops.RegistryValue{}
	for _, v := range k.Values {
		out[v.Name] = v
	}
	return out
}

// serviceConfig is a service's configuration from its registry key.
func serviceConfig(k ops.RegistryKey) (win.ServiceConfig, error) {
	if !k.Exists {
		return win.ServiceConfig{}, errors.New("the service's registry key is missing: capture a clean host")
	}
	v := values(k)
	start := v["Start"].Number
	if start > uint64(win.StartDisabled) {
		return win.ServiceConfig{}, fmt.Errorf("Start %d is not 0-4", start)
	}
	return win.ServiceConfig{
		Start: win.StartType(start), Type: uint32(v["Type"].Number), ErrorControl: uint32(v["ErrorControl"].Number),
		ImagePath: v["ImagePath"].String, ObjectName: v["ObjectName"].String, DisplayName: v["DisplayName"].String,
		DependOnService: v["DependOnService"].Strings, Description: v["Description"].String,
	}, nil
}

// Write writes the profile as YAML in win/profiles' format, each value
// under a comment with its source, and checks that it reads back as a
// valid profile.
func Write(w io.Writer, c *Profile) error {
	var doc yaml.Node
	if err := doc.Encode(c.Profile); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	doc.HeadComment = fmt.Sprintf("OS profile captured from %s on %s by msilab profile capture.\n"+
		"Every value was read from the host unless its note says otherwise; run it on the\n"+
		"simulator with msilab run --profile FILE (or profile_file: in lab.yaml).", c.Host, c.Date.Format(time.RFC3339))
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if n, ok := c.Notes[doc.Content[i].Value]; ok {
			doc.Content[i].HeadComment = n
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if _, err := win.ParseProfile("captured.yaml", buf.Bytes()); err != nil {
		return fmt.Errorf("capture: the profile does not read back: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
