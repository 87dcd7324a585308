package testtool

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a helper ends the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip = fmt.Sprintf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.fatal = fmt.Sprint(args...) }

func TestNeed(t *testing.T) {
	for _, ci := range []string{"", "false", "true", "TRUE"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			r := &recorder{TB: t}
			if p := Need(r, "msilab-no-such-tool", "apt-get install it"); p != "" {
				t.Errorf("path %q", p)
			}
			got, other := r.skip, r.fatal
			if CI() {
				got, other = r.fatal, r.skip
			}
			if !strings.Contains(got, "msilab-no-such-tool not installed") || !strings.HasSuffix(strings.TrimSuffix(got, " (CI=true: required)"), ": apt-get install it") || other != "" {
				t.Errorf("CI=%q: fatal %q, skip %q", ci, r.fatal, r.skip)
			}
		})
	}
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	if p := Need(r, "go", ""); p == "" || r.fatal != "" || r.skip != "" {
		t.Errorf("go: path %q, fatal %q, skip %q", p, r.fatal, r.skip)
	}
}

func TestNeedFile(t *testing.T) {
	t.Setenv("CI", "")
	there := filepath.Join(t.TempDir(), "there")
	if err := os.WriteFile(there, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	if p := NeedFile(r, there, ""); p != there || r.skip != "" || r.fatal != "" {
		t.Errorf("existing file: path %q, fatal %q, skip %q", p, r.fatal, r.skip)
	}
	NeedFile(r, there+".not", "make it")
	if !strings.Contains(r.skip, "there.not missing") || !strings.HasSuffix(r.skip, ": make it") || r.fatal != "" {
		t.Errorf("missing file: fatal %q, skip %q", r.fatal, r.skip)
	}
}

func TestNeedPython(t *testing.T) {
	t.Setenv("CI", "true")
	env := []string{"A=1"}
	var seen [][]string
	probe := func(ok func([]string) bool) func([]string) ([]byte, error) {
		return func(env []string) ([]byte, error) {
			seen = append(seen, env)
			if ok(env) {
				return nil, nil
			}
			return []byte("no module"), fmt.Errorf("exit status 1")
		}
	}
	legacy := func(env []string) bool { return strings.HasPrefix(env[len(env)-1], "OPENSSL_CONF=") }

	r := &recorder{TB: t}
	if got := NeedPython(r, env, probe(func([]string) bool { return true }), "python", ""); len(got) != 1 || len(seen) != 1 {
		t.Errorf("first probe works: env %q after %d probes", got, len(seen))
	}
	seen = nil
	got := NeedPython(r, env, probe(legacy), "python", "")
	if len(got) != 2 || !legacy(got) || len(seen) != 2 || len(env) != 1 || r.fatal != "" {
		t.Errorf("legacy provider: env %q after %d probes, fatal %q", got, len(seen), r.fatal)
	}
	if conf, err := os.ReadFile(strings.TrimPrefix(got[1], "OPENSSL_CONF=")); err != nil || !strings.Contains(string(conf), "legacy = on") {
		t.Errorf("OpenSSL configuration %q: %v", conf, err)
	}
	NeedPython(r, env, probe(func([]string) bool { return false }), "python with winrm", "apt-get install python3-winrm")
	if !strings.Contains(r.fatal, "python with winrm unavailable: exit status 1\nno module: apt-get install python3-winrm") || r.skip != "" {
		t.Errorf("no python: fatal %q, skip %q", r.fatal, r.skip)
	}
}
