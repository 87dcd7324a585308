package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// endpointFlags are the connection flags shared by commands that reach a host.
type endpointFlags struct {
	endpoint, user, password, auth, caFile string
	insecure, allowBasicOverHTTP           bool
	warn                                   io.Writer
}

func (f *endpointFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "", "WinRM endpoint: http(s)://host:port/wsman or host:port")
	fs.StringVar(&f.user, "user", "", "user name")
	fs.StringVar(&f.password, "password", "", "password (default: $MSILAB_PASSWORD)")
	fs.StringVar(&f.auth, "auth", "ntlm", "auth method: basic or ntlm")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file pinning the HTTPS certificate")
	fs.BoolVar(&f.insecure, "insecure", false, "HTTPS without certificate verification")
	fs.BoolVar(&f.allowBasicOverHTTP, "allow-basic-over-http", false, "let --auth basic send the password over plain HTTP, in clear")
	f.warn = fs.Output()
}

func (f *endpointFlags) toEndpoint() (lab.Endpoint, error) {
	if f.endpoint == "" {
		return lab.Endpoint{}, usagef("--endpoint is required")
	}
	raw := f.endpoint
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return lab.Endpoint{}, usagef("--endpoint %q is not a URL or host:port", f.endpoint)
	}
	ep := lab.Endpoint{Host: u.Hostname(), HTTPS: u.Scheme == "https", User: f.user, Password: f.password,
		Auth: lab.AuthMethod(strings.ToLower(f.auth)), CAFile: f.caFile, Insecure: f.insecure, AllowBasicOverHTTP: f.allowBasicOverHTTP}
	switch u.Scheme {
	case "http", "https":
	default:
		return lab.Endpoint{}, usagef("--endpoint scheme must be http or https, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if ep.Port, err = strconv.Atoi(p); err != nil {
			return lab.Endpoint{}, usagef("--endpoint port %q is not a number", p)
		}
	}
	if ep.Password == "" {
		ep.Password = os.Getenv("MSILAB_PASSWORD")
	}
	if ep.User == "" {
		return lab.Endpoint{}, usagef("--user is required")
	}
	if _, _, err := net.SplitHostPort(net.JoinHostPort(ep.Host, "1")); err != nil {
		return lab.Endpoint{}, usagef("--endpoint host %q is invalid", ep.Host)
	}
	if u.User != nil {
		return lab.Endpoint{}, usagef("--endpoint must not carry credentials: use --user and $MSILAB_PASSWORD")
	}
	if ep.Auth == lab.AuthBasic && !ep.HTTPS {
		if !ep.AllowBasicOverHTTP {
			return lab.Endpoint{}, usagef("--auth basic over plain HTTP sends the password in clear: use https or ntlm, or --allow-basic-over-http")
		}
		if f.warn != nil {
			fmt.Fprintf(f.warn, "warning: auth basic over plain HTTP: %s's password crosses the network in clear\n", ep.User)
		}
	}
	return ep, nil
}

// dial connects to the endpoint the flags name.
func (f *endpointFlags) dial(ctx context.Context) (lab.Session, error) {
	ep, err := f.toEndpoint()
	if err != nil {
		return nil, err
	}
	return lab.Dial(ctx, ep)
}

const opUsage = `Usage:
  msilab op [flags] OP [ARGS_JSON]   run one op
  msilab op [flags] --batch FILE     run a batch: a JSON array of {"op":..., "args":...} ("-" reads stdin)

Prints the JSON results; exits 1 if an op failed. The batch carries the
--user's password, and each --logon-env USER=VARIABLE's, for the ops that
log on as an account (msi.install in the admin-filtered and standard-user
contexts, user.logon): beside the ops, never in them.
`

// logonEnvFlags are --logon-env USER=VARIABLE: an account and the
// environment variable holding its password.
type logonEnvFlags []ops.Logon

func (l *logonEnvFlags) String() string { return fmt.Sprint(len(*l), " logons") }

func (l *logonEnvFlags) Set(v string) error {
	user, env, ok := strings.Cut(v, "=")
	if !ok || user == "" || env == "" {
		return fmt.Errorf("want USER=VARIABLE, not %q", v)
	}
	pw, ok := os.LookupEnv(env)
	if !ok {
		return fmt.Errorf("environment variable %s (the password of %s) is not set", env, user)
	}
	*l = append(*l, ops.Logon{User: user, Password: pw})
	return nil
}

func opCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab op", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), opUsage); fs.PrintDefaults() }
	var ef endpointFlags
	ef.register(fs)
	batchFile := fs.String("batch", "", "JSON file with a batch of ops")
	var logons logonEnvFlags
	fs.Var(&logons, "logon-env", "USER=VARIABLE: an account whose password the environment variable holds (repeatable)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	batch, err := readBatch(*batchFile, fs.Args())
	if err != nil {
		return err
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
	ctx = lab.WithLogons(ctx, append([]ops.Logon{{User: ep.User, Password: ep.Password}}, logons...)...)
	results, err := s.RunBatch(ctx, batch)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if len(results) == 1 && *batchFile == "" {
		err = enc.Encode(results[0])
	} else {
		err = enc.Encode(results)
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		if !r.OK {
			return fmt.Errorf("op %s failed: %s", r.Op, r.Error.Message)
		}
	}
	return nil
}

func readBatch(file string, args []string) ([]ops.Op, error) {
	if file == "" {
		if len(args) == 0 || len(args) > 2 {
			return nil, usagef("give one OP and optional ARGS_JSON, or --batch FILE")
		}
		op := ops.Op{Name: args[0]}
		if len(args) == 2 {
			if !json.Valid([]byte(args[1])) {
				return nil, usagef("ARGS_JSON for %s is not valid JSON: %s", args[0], args[1])
			}
			op.Args = json.RawMessage(args[1])
		}
		return []ops.Op{op}, nil
	}
	if len(args) > 0 {
		return nil, usagef("--batch takes no OP arguments")
	}
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read batch: %w", err)
	}
	var batch []ops.Op
	if err := json.Unmarshal(data, &batch); err != nil {
		return nil, fmt.Errorf("batch %s: %w", file, err)
	}
	for i, op := range batch {
		if op.Name == "" {
			return nil, fmt.Errorf("batch %s: op %d has no \"op\" name", file, i)
		}
	}
	return batch, nil
}
