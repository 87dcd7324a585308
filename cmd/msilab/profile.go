package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/capture"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

const profileCaptureUsage = `Usage:
  msilab profile capture --endpoint URL --user USER [endpoint flags] [--os PROFILE] [--logon-env USER=VAR] [--out FILE]

Reads a host through ops and writes an OS profile in the format of the
built-in ones (win/profiles/*.yaml), every value with its source,
"captured from HOST on DATE": the build and UBR, msi.dll's version, the
ACLs of C:\Windows\Temp, C:\Windows\Installer and the lab user's profile
folder, msiserver's and RpcSs's configuration, the Installer policies,
the built-in Administrator and the token groups and privileges of the
admin-elevated, admin-filtered and standard-user contexts (user.token;
the standard user's needs its password: --logon-env msilab-user=VAR; the
system context's is not read). Capture a clean host (msilab doctor). The
simulator runs the file: msilab run --profile FILE, msilab sim serve
--profile FILE, or profile_file: in lab.yaml (msilab run --calibrate).
The profile takes the name of the built-in profile of the host's edition
and build (or --os), so that scenarios apply to it as to that one.

Flags:
`

func profileCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "capture" {
		if len(args) == 1 && isHelp(args[0]) {
			fmt.Fprint(stdout, profileCaptureUsage)
			return nil
		}
		return usagef("usage: msilab profile capture [endpoint flags] [--os PROFILE] [--logon-env USER=VAR] [--out FILE]")
	}
	fs := flag.NewFlagSet("msilab profile capture", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), profileCaptureUsage); fs.PrintDefaults() }
	var ef endpointFlags
	ef.register(fs)
	osName := fs.String("os", "", "the built-in profile the host is a machine of ("+strings.Join(win.ProfileNames(), ", ")+"; default: the one of its edition and build)")
	stdUser := fs.String("standard-user", ops.DefaultStandardUser, "the lab's standard user, whose profile folder's ACL is captured")
	out := fs.String("out", "", "write the profile to this file (default: stdout)")
	var logons logonEnvFlags
	fs.Var(&logons, "logon-env", "USER=VARIABLE: an account whose password the environment variable holds, for its context's token (the standard user's; repeatable)")
	if err := parseFlags(fs, args[1:], stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("msilab profile capture takes flags only, got %q", fs.Args())
	}
	ep, err := ef.toEndpoint()
	if err != nil {
		return err
	}
	s, err := lab.Dial(ctx, ep)
	if err != nil {
		return err
	}
	defer s.Close()
	// The connecting account's password logs it on for admin-filtered's token.
	ctx = lab.WithLogons(ctx, append([]ops.Logon{{User: ep.User, Password: ep.Password}}, logons...)...)
	p, err := capture.Capture(ctx, s.RunBatch, capture.Options{OS: *osName, StandardUser: *stdUser})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := capture.Write(&buf, p); err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "msilab: profile %s of %s (build %d.%d, msi.dll %s) written to %s\n", p.Name, p.Host, p.Build, p.UBR, p.MsiVersion, *out)
	return nil
}
