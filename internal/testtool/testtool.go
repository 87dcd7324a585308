// Package testtool is how a test asks for something outside Go that it
// needs (a program, a file, a Python with the right modules): when it is
// missing the test is skipped, except in CI (CI=true), where it fails, so
// that CI never passes by skipping.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// CI reports whether the tests run in CI: CI=true (in any case).
func CI() bool { return strings.EqualFold(os.Getenv("CI"), "true") }

// Unavailable ends the test for want of something it needs: it skips the
// test, or fails it when CI=true. The message says what is missing and
// how to get it.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf(format+" (CI=true: required)", args...)
		return
	}
	t.Skipf(format, args...)
}

// Need returns the path of the program name (exec.LookPath), or ends the
// test with Unavailable; install says how to get it ("" for nothing).
func Need(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s not installed (%v)%s", name, err, hint(install))
	}
	return p
}

// NeedFile returns path when it exists, or ends the test with Unavailable;
// install says how to get it ("" for nothing).
func NeedFile(t testing.TB, path, install string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Unavailable(t, "%s missing (%v)%s", path, err, hint(install))
	}
	return path
}

// NeedPython returns the environment in which probe (a run of a Python
// script that imports what a test needs) succeeds: env itself, or env with
// OpenSSL's legacy provider turned on, since Debian's OpenSSL 3 leaves MD4,
// which NTLM needs, to it. When neither works it ends the test with
// Unavailable, saying what is needed and how to install it.
func NeedPython(t testing.TB, env []string, probe func(env []string) ([]byte, error), what, install string) []string {
	t.Helper()
	if _, err := probe(env); err == nil {
		return env
	}
	conf := filepath.Join(t.TempDir(), "openssl.cnf")
	if err := os.WriteFile(conf, []byte(legacyOpenSSL), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(env[:len(env):len(env)], "OPENSSL_CONF="+conf)
	if out, err := probe(env); err != nil {
		Unavailable(t, "%s unavailable: %v\n%s%s", what, err, out, hint(install))
	}
	return env
}

// legacyOpenSSL is an OpenSSL configuration with the default and legacy
// providers active.
const legacyOpenSSL = "openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = on\nlegacy = on\n[on]\nactivate = 1\n"

func hint(install string) string {
	if install == "" {
		return ""
	}
	return ": " + install
}
