package images_test

// scripts/qemu-swtpm.sh, the qemu builder's qemu_binary for a vTPM whose
// state outlives the build, run with the real swtpm and a stand-in for
// qemu that speaks to swtpm's control socket as QEMU's TPM emulator
// backend does (swtpm_ioctl: initialise the TPM, then shut it down).

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testtool"
)

// fakeQemu records its arguments, then initialises and shuts down the TPM
// behind the -chardev socket the script added, as a VM's boot and power-off
// would; without one it prints a version, as `qemu -version` does.
const fakeQemu = `#!/bin/sh
printf '%s\n' "$@" > "$FAKE_QEMU_ARGS"
sock=$(printf '%s\n' "$@" | sed -n 's/^socket,id=chrtpm,path=//p')
if [ -z "$sock" ]; then
    echo "QEMU emulator version 7.2.0"
    exit 0
fi
swtpm_ioctl --unix "$sock" -i && swtpm_ioctl --unix "$sock" -s
`

func runSwtpmScript(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	qemu := filepath.Join(dir, "fake-qemu")
	if err := os.WriteFile(qemu, []byte(fakeQemu), 0o755); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "args")
	cmd := exec.Command(filepath.Join("windows", "scripts", "qemu-swtpm.sh"), args...)
	cmd.Env = append(os.Environ(), "MSILAB_QEMU="+qemu, "FAKE_QEMU_ARGS="+record, "TMPDIR="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("qemu-swtpm.sh %v: %v\n%s", args, err, out.String())
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("qemu-swtpm.sh %v did not end:\n%s", args, out.String())
	}
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// TestQemuSwtpm: the vTPM's state is written in the folder the template
// names (in the output directory) and stays there when qemu exits, where
// the qemu plugin's own vtpm deletes it; a second boot uses the same
// state; qemu gets its arguments unchanged, less the script's own option,
// plus the TPM devices; `qemu -version` passes through.
func TestQemuSwtpm(t *testing.T) {
	testtool.Need(t, "swtpm", "apt-get install swtpm")
	testtool.Need(t, "swtpm_ioctl", "apt-get install swtpm-tools")
	dir := t.TempDir()
	state := filepath.Join(dir, "output", "win11-24h2-qemu", "vtpm")

	args := runSwtpmScript(t, dir, "-name", "msilab-win11-24h2", "-msilab-swtpm-state", state, "-m", "4096M")
	if len(args) != 10 || strings.Join(args[:4], " ") != "-name msilab-win11-24h2 -m 4096M" ||
		args[4] != "-chardev" || !strings.HasPrefix(args[5], "socket,id=chrtpm,path=") ||
		strings.Join(args[6:], " ") != "-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0" {
		t.Fatalf("qemu's arguments: %q", args)
	}
	permall := filepath.Join(state, "tpm2-00.permall")
	first, err := os.ReadFile(permall)
	if err != nil || len(first) == 0 {
		t.Fatalf("the TPM's permanent state is not in %s after qemu exited: %v", state, err)
	}

	// The next boot, with the same folder: the same TPM (swtpm would make a
	// new one, with new seeds, in an empty folder).
	runSwtpmScript(t, dir, "-msilab-swtpm-state", state)
	if again, err := os.ReadFile(permall); err != nil || len(again) == 0 {
		t.Fatalf("the TPM state after a second boot: %v", err)
	}

	if args := runSwtpmScript(t, dir, "-version"); strings.Join(args, " ") != "-version" {
		t.Errorf("qemu -version through the script: %q", args)
	}
}
