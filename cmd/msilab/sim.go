package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/installer"
	"github.com/msilab/msilab/win"
)

func simServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab sim serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5985", "address to listen on")
	https := fs.Bool("https", false, "serve HTTPS with a self-signed certificate (its fingerprint is printed)")
	user := fs.String("user", sim.DefaultUser, "administrator account that WinRM accepts")
	password := fs.String("password", sim.DefaultPassword, "its password (printed at start: a lab default, not a secret)")
	passwordEnv := fs.String("password-env", "", "read the password from this environment variable instead; it is never printed")
	osName := fs.String("os", "", "OS profile of the simulated host")
	hostname := fs.String("hostname", "", "host name (default: derived from the OS profile)")
	profileFile := fs.String("profile", "", "an OS profile file (such as msilab profile capture writes) instead of a built-in --os")
	locale := fs.String("locale", "", "display language of the host's messages: en-US (default) or de-DE (German MsiInstaller event messages)")
	languageMode := fs.String("language-mode", "", "PowerShell language mode: FullLanguage (default) or ConstrainedLanguage (the op module cannot run)")
	machinePolicy := fs.String("machine-policy", "", "execution policy set by Group Policy for the machine: AllSigned, RemoteSigned, Unrestricted or Restricted")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	var prof *win.Profile
	if *profileFile != "" {
		if *osName != "" {
			return usagef("--profile and --os exclude each other")
		}
		p, err := win.LoadProfileFile(*profileFile)
		if err != nil {
			return err
		}
		prof = &p
	}
	if fs.NArg() > 0 {
		return usagef("msilab sim serve takes no arguments, got %q", fs.Args())
	}
	shown := "" // the password as the instructions print it
	if *passwordEnv != "" {
		if passwordSet(fs) {
			return usagef("--password and --password-env exclude each other")
		}
		pw, ok := os.LookupEnv(*passwordEnv)
		if !ok || pw == "" || !envVarName.MatchString(*passwordEnv) {
			return usagef("--password-env %q: no such environment variable, or it is empty", *passwordEnv)
		}
		*password, shown = pw, "$"+*passwordEnv
	}
	srv, err := sim.NewServer(sim.Options{Addr: *addr, HTTPS: *https, User: *user, Password: *password, OS: *osName, Profile: prof, Hostname: *hostname,
		Locale: *locale, LanguageMode: *languageMode, MachinePolicy: *machinePolicy})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	host, port := srv.HostPort()
	fmt.Fprintf(stdout, "msilab simulated Windows host %s listening on %s\n", srv.Host().Hostname(), srv.URL())
	if shown == "" {
		shown = "'" + srv.Password() + "'"
		fmt.Fprintf(stdout, "credentials: user %q password %q (Basic and NTLM)\n", srv.User(), srv.Password())
	} else {
		fmt.Fprintf(stdout, "credentials: user %q, password from %s (Basic and NTLM)\n", srv.User(), shown)
	}
	if srv.HTTPS() {
		fmt.Fprintf(stdout, "certificate SHA-256 fingerprint: %s\n", srv.Fingerprint())
	}
	transport := "basic"
	scheme := "http"
	if srv.HTTPS() {
		scheme = "https"
	}
	pyPassword := "'" + srv.Password() + "'"
	if *passwordEnv != "" {
		pyPassword = "os.environ['" + *passwordEnv + "']"
	}
	fmt.Fprintf(stdout, "try: python3 -c \"import os, winrm; s = winrm.Session('%s://%s:%d/wsman', auth=('%s', %s), transport='%s', message_encryption='never', server_cert_validation='ignore'); print(s.run_cmd('hostname').std_out)\"\n",
		scheme, host, port, srv.User(), pyPassword, transport)
	flags := map[bool]string{true: " --insecure", false: ""}[srv.HTTPS()]
	fmt.Fprintf(stdout, "  or: msilab exec --endpoint %s --user %s --password %s%s hostname\n", srv.URL(), srv.User(), shown, flags)
	fmt.Fprintf(stdout, "  or: msilab op --endpoint %s --user %s --password %s%s host.info\n", srv.URL(), srv.User(), shown, flags)
	fmt.Fprintln(stdout, "press Ctrl-C to stop")
	<-ctx.Done()
	return srv.Close()
}

// envVarName is an environment variable's name.
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// passwordSet reports whether --password was given.
func passwordSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "password" })
	return set
}

// simRules prints the simulated installer's rules with their evidence.
func simRules(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab sim rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("msilab sim rules takes no arguments")
	}
	rules := installer.Rules()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rules)
	}
	fmt.Fprintln(stdout, "Rules of the simulated Windows Installer. Evidence: D documented by Microsoft, R reported publicly, G our inference (to confirm on real Windows).")
	fmt.Fprintln(stdout, "Each rule cites its row of docs/evidence.md in the msilab repository (docs/evidence.md#E-...), with the facts and their sources.")
	for _, r := range rules {
		fmt.Fprintf(stdout, "\n%s  [%s]\n  when: %s\n  then: %s\n  evidence: %s\n", r.ID, r.Label, r.When, r.Then, r.Sources)
	}
	return nil
}
