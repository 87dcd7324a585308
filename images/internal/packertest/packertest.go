// Package packertest finds the tools the images tests drive: Packer itself
// and packer-sdc, both built by .ci/run into a cache (they build from the
// Go module proxy: tools/packer, tools/packer/sdc). A test that needs one
// is skipped when it is absent, and fails when CI=true.
package packertest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testtool"
)

// Versions of the tools the tests use.
const (
	PackerVersion = "1.9.4"
	SDKVersion    = "0.6.4" // packer-plugin-sdk, for packer-sdc
)

// BuiltPlugins are the hypervisor plugins of images/windows that build
// from the Go module proxy (tools/packer/plugins), at their pinned
// versions. The proxy refuses packer-plugin-hyperv's source, so Hyper-V is
// not among them.
var BuiltPlugins = map[string]string{"qemu": "1.0.9", "vsphere": "1.4.2"}

// ErrMissing is returned when a tool is not there.
var ErrMissing = errors.New("packertest: tool not found")

// CacheDir is where .ci/run builds the tools: $XDG_CACHE_HOME/msilab, or
// ~/.cache/msilab.
func CacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "msilab")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "msilab-cache")
	}
	return filepath.Join(home, ".cache", "msilab")
}

// PackerPathE is the packer binary: $MSILAB_PACKER, or the cached build.
func PackerPathE() (string, error) {
	return find("MSILAB_PACKER", filepath.Join(CacheDir(), "packer-"+PackerVersion, "packer"))
}

// SDCPathE is the packer-sdc binary: $MSILAB_PACKER_SDC, or the cached build.
func SDCPathE() (string, error) {
	return find("MSILAB_PACKER_SDC", filepath.Join(CacheDir(), "packer-sdc-"+SDKVersion, "packer-sdc"))
}

// PluginPathE is a hypervisor plugin's binary (one of BuiltPlugins):
// $MSILAB_PACKER_PLUGINS/packer-plugin-<name>-<version>, or the cached build.
func PluginPathE(name string) (string, error) {
	v, ok := BuiltPlugins[name]
	if !ok {
		return "", fmt.Errorf("%w: no plugin %q among %v", ErrMissing, name, BuiltPlugins)
	}
	dir := filepath.Join(CacheDir(), "packer-plugins")
	if d := os.Getenv("MSILAB_PACKER_PLUGINS"); d != "" {
		dir = d
	}
	return find("", filepath.Join(dir, name+"-"+v, "packer-plugin-"+name))
}

// PluginPath is PluginPathE for a test, skipping or failing as PackerPath does.
func PluginPath(t testing.TB, name string) string {
	t.Helper()
	return need(t, func() (string, error) { return PluginPathE(name) })
}

func find(env, cached string) (string, error) {
	if p := os.Getenv(env); env != "" && p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v", ErrMissing, env, p, err)
		}
		return p, nil
	}
	if _, err := exec.LookPath(cached); err != nil {
		if env == "" {
			return "", fmt.Errorf("%w: %s is not there (.ci/run builds it)", ErrMissing, cached)
		}
		return "", fmt.Errorf("%w: %s is not set and %s is not there (.ci/run builds it)", ErrMissing, env, cached)
	}
	return cached, nil
}

// PackerPath is PackerPathE for a test: it skips the test when Packer is
// missing, or fails it when CI=true.
func PackerPath(t testing.TB) string {
	t.Helper()
	return need(t, PackerPathE)
}

// SDCPath is SDCPathE for a test, skipping or failing as PackerPath does.
func SDCPath(t testing.TB) string {
	t.Helper()
	return need(t, SDCPathE)
}

func need(t testing.TB, find func() (string, error)) string {
	t.Helper()
	p, err := find()
	if err == nil {
		return p
	}
	testtool.Unavailable(t, "%v", err)
	return ""
}

// Command is an exec.Cmd running packer with args in dir, with its own
// plugin and config directories (nothing from the user's ~/.packer.d),
// checkpoint (version check) disabled, and extra environment env.
func Command(t testing.TB, packer, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(packer, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CHECKPOINT_DISABLE=1",
		"PACKER_CONFIG_DIR="+home,
		"PACKER_CACHE_DIR="+filepath.Join(home, "cache"),
		"PACKER_PLUGIN_PATH="+filepath.Join(home, "plugins"),
		"PACKER_NO_COLOR=1",
	)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// Description is what a plugin binary's `describe` command prints.
type Description struct {
	Version        string   `json:"version"`
	SDKVersion     string   `json:"sdk_version"`
	APIVersion     string   `json:"api_version"`
	Builders       []string `json:"builders"`
	Provisioners   []string `json:"provisioners"`
	PostProcessors []string `json:"post_processors"`
}

// Describe runs `<bin> describe`.
func Describe(t testing.TB, bin string) Description {
	t.Helper()
	out, err := exec.Command(bin, "describe").Output()
	if err != nil {
		t.Fatalf("%s describe: %v", bin, err)
	}
	var d Description
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("%s describe: %v: %s", bin, err, out)
	}
	return d
}

// InstallPlugin lays bin out under dir as `packer init` installs a plugin
// of source (e.g. github.com/hashicorp/qemu), which is where Packer 1.9
// looks for the plugins a template requires:
// dir/<source>/packer-plugin-<name>_v<version>_<api>_<os>_<arch> and its
// _SHA256SUM file (version and API from `describe`).
func InstallPlugin(t testing.TB, dir, source, bin string) {
	t.Helper()
	d := Describe(t, bin)
	name := source[strings.LastIndexByte(source, '/')+1:]
	dst := filepath.Join(dir, filepath.FromSlash(source),
		fmt.Sprintf("packer-plugin-%s_v%s_%s_%s_%s", name, d.Version, d.APIVersion, runtime.GOOS, runtime.GOARCH))
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst+"_SHA256SUM", []byte(hex.EncodeToString(sum[:])), 0o644); err != nil {
		t.Fatal(err)
	}
}
