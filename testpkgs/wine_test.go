package testpkgs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wine runs Windows programs in one fresh prefix.
type wine struct {
	prefix string // WINEPREFIX; C: is prefix/drive_c
	env    []string
}

// newWine creates and initialises a prefix under t.TempDir() and kills its
// wineserver when the test ends.
func newWine(t *testing.T) *wine {
	needTool(t, "wine")
	needTool(t, "wineboot")
	server := needTool(t, "wineserver")
	w := &wine{prefix: t.TempDir()}
	w.env = append(os.Environ(),
		"WINEPREFIX="+w.prefix,
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=", // no Mono/Gecko install prompts
	)
	// Registered after TempDir, so it runs before the prefix is removed.
	t.Cleanup(func() {
		for _, arg := range []string{"-k", "-w"} {
			cmd := exec.Command(server, arg)
			cmd.Env = w.env
			_ = cmd.Run()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := w.run(t, ctx, "wineboot", "-i"); err != nil {
		t.Fatalf("wineboot -i: %v\n%s", err, out)
	}
	return w
}

// run runs a command with the prefix's environment and returns its output.
// Output goes to a file, not a pipe, in case a lingering Wine process (the
// wineserver) inherits it and would keep Wait from returning.
func (w *wine) run(t *testing.T, ctx context.Context, name string, args ...string) (string, error) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = w.env, f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

var exitRE = regexp.MustCompile(`EXIT=(-?\d+)`)

// msiexec runs "msiexec <args>" under cmd and returns its full exit code,
// echoed by cmd: Wine's own process status is the code modulo 256. Wine's
// cmd expands %ERRORLEVEL% when it reaches the echo, after msiexec has
// returned. An argument with a space or quote cannot be passed this way.
func (w *wine) msiexec(t *testing.T, args string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := w.run(t, ctx, "wine", "cmd", "/c", "msiexec "+args+" & echo EXIT=%ERRORLEVEL%")
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status, err = ee.ExitCode(), nil
	}
	m := exitRE.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("wine cmd /c msiexec %s: %v\n%s", args, err, out)
	}
	code, _ := strconv.Atoi(m[1])
	if status != code%256 {
		t.Errorf("msiexec %s: process status %d, echoed code %d", args, status, code)
	}
	return code
}

// hostPath maps a C: path to the host file system.
func (w *wine) hostPath(t *testing.T, winPath string) string {
	rest, ok := strings.CutPrefix(winPath, `C:\`)
	if !ok {
		t.Fatalf("%q is not on C:", winPath)
	}
	return filepath.Join(w.prefix, "drive_c", filepath.FromSlash(strings.ReplaceAll(rest, `\`, "/")))
}

// regValue returns the data of a registry value and whether it exists, in
// the 32-bit view that the x86 test packages write to.
func (w *wine) regValue(t *testing.T, key, value string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := w.run(t, ctx, "wine", "reg", "query", key, "/v", value, "/reg:32")
	if err != nil {
		return "", false
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == value && f[1] == "REG_SZ" {
			return f[2], true
		}
	}
	t.Fatalf("reg query %s /v %s: no REG_SZ in\n%s", key, value, out)
	return "", false
}

var installDirRE = regexp.MustCompile(`Property\(S\): INSTALLDIR = (.*?)\r?\n`)

// TestWine installs and uninstalls every package under Wine, in one prefix.
// Wine shows the packages are real; it is no oracle for Windows' faults
// (docs/evidence.md#E-wine).
func TestWine(t *testing.T) {
	start := time.Now()
	w := newWine(t)
	t.Logf("wineboot -i: %v", time.Since(start).Round(time.Millisecond))
	// A 64-bit prefix has SysWOW64; there the x86 packages' ProgramFilesFolder
	// is "Program Files (x86)".
	programFiles := `C:\Program Files\`
	if _, err := os.Stat(filepath.Join(w.prefix, "drive_c", "windows", "syswow64")); err == nil {
		programFiles = `C:\Program Files (x86)\`
	}
	if err := os.MkdirAll(filepath.Join(w.prefix, "drive_c", "msilab"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			info, _ := Lookup(name)
			b, _ := Bytes(name)
			if err := os.WriteFile(w.hostPath(t, `C:\msilab\`+name+".msi"), b, 0o644); err != nil {
				t.Fatal(err)
			}

			// Install.
			installLog := `C:\msilab\` + name + "-install.log"
			code := w.msiexec(t, `/i C:\msilab\`+name+`.msi /qn /L*v `+installLog)
			// Windows gives 1603 for a failing deferred custom action; Wine's
			// msi gives 1627, and 0 when the program cannot be started
			// (ca-missing-exe, 1721 on Windows: docs/evidence.md#E-wine).
			want := 0
			if info.CAExitCode != 0 {
				want = 1627
			}
			if code != want {
				t.Fatalf("install exit %d, want %d; log %s", code, want, w.hostPath(t, installLog))
			}
			logText, err := os.ReadFile(w.hostPath(t, installLog))
			if err != nil || len(logText) == 0 {
				t.Fatalf("verbose log %s: %d bytes, %v", installLog, len(logText), err)
			}
			m := installDirRE.FindSubmatch(logText)
			if m == nil {
				t.Fatalf("no INSTALLDIR in %s", installLog)
			}
			installDir := string(m[1])
			t.Logf("install exit %d, INSTALLDIR %s", code, installDir)
			if info.PerMachine {
				if wantDir := programFiles + strings.TrimPrefix(info.InstallDir, `ProgramFilesFolder\`) + `\`; installDir != wantDir {
					t.Errorf("INSTALLDIR %q, want %q", installDir, wantDir)
				}
			} else if !strings.HasSuffix(installDir, `\AppData\Local\MsiLab\PerUser\`) {
				t.Errorf("INSTALLDIR %q, want under LocalAppDataFolder", installDir)
			}
			file := w.hostPath(t, installDir+info.File)
			_, statErr := os.Stat(file)
			data, regOK := w.regValue(t, info.RegistryKey, info.RegistryValue)
			if want == 0 {
				if statErr != nil {
					t.Errorf("installed file: %v", statErr)
				}
				if !regOK || data != "1.0.0" {
					t.Errorf(`registry %s\%s = %q (exists: %v), want 1.0.0`, info.RegistryKey, info.RegistryValue, data, regOK)
				}
			} else {
				// Rolled back: nothing left, nothing registered.
				if statErr == nil {
					t.Errorf("%s still exists after the failed install", file)
				}
				if regOK {
					t.Errorf(`registry %s\%s still exists after the failed install`, info.RegistryKey, info.RegistryValue)
				}
			}

			// Uninstall. After the rolled-back install the product is
			// unknown: 1605.
			code = w.msiexec(t, `/x `+info.ProductCode+` /qn /L*v C:\msilab\`+name+`-uninstall.log`)
			wantX := 0
			if want != 0 {
				wantX = 1605
			}
			t.Logf("uninstall exit %d", code)
			if code != wantX {
				t.Fatalf("uninstall exit %d, want %d", code, wantX)
			}
			if _, err := os.Stat(file); err == nil {
				t.Errorf("%s still exists after uninstall", file)
			}
			if _, ok := w.regValue(t, info.RegistryKey, info.RegistryValue); ok {
				t.Errorf(`registry %s\%s still exists after uninstall`, info.RegistryKey, info.RegistryValue)
			}
		})
	}
	t.Logf("TestWine: %v", time.Since(start).Round(time.Millisecond))
}
