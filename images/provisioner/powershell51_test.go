package provisioner_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/msilab/msilab/internal/pscheck"
)

// recordingComm is a communicator that records the command lines started
// and the PowerShell files uploaded.
type recordingComm struct {
	packersdk.Communicator
	mu      sync.Mutex
	lines   []string
	uploads map[string]string // destination -> content
}

func (c *recordingComm) Upload(dst string, src io.Reader, fi *os.FileInfo) error {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(dst, `\`, "/")))
	if ext != ".ps1" && ext != ".psm1" {
		return c.Communicator.Upload(dst, src, fi)
	}
	data, err := io.ReadAll(src)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.uploads[dst] = string(data)
	c.mu.Unlock()
	return c.Communicator.Upload(dst, bytes.NewReader(data), fi)
}

func (c *recordingComm) Start(ctx context.Context, rc *packersdk.RemoteCmd) error {
	c.mu.Lock()
	c.lines = append(c.lines, rc.Command)
	c.mu.Unlock()
	return c.Communicator.Start(ctx, rc)
}

// stdinRedirect is how the provisioner gives a command its staged stdin.
var stdinRedirect = regexp.MustCompile(` < "[^"]+"$`)

// TestProvisionerPowerShell51 records every command line the provisioner
// starts while it prepares a host and every PowerShell file it uploads (the
// op module), decodes the PowerShell of each command line (powershell.exe
// -EncodedCommand), and checks those scripts and files against the cmdlets
// of Windows PowerShell 5.1 (tools/psparse, one run). A command line that
// is not such a script fails the test: this check could not read it.
func TestProvisionerPowerShell51(t *testing.T) {
	root := pscheck.ModuleRoot(t)
	requireStdinRedirect(t)
	const profile = "server2022"
	srv := startSim(t, profile)
	comm := &recordingComm{Communicator: packerComm(t, srv), uploads: map[string]string{}}
	if r := provisionWith(t, srv, profile, comm); r.err != nil {
		t.Fatalf("Provision: %v", r.err)
	}
	scripts := map[string]string{}
	seen := map[string]bool{}
	for _, line := range comm.lines {
		text, ok := pscheck.DecodeCommand(stdinRedirect.ReplaceAllString(line, ""))
		if !ok {
			t.Errorf("the provisioner started a command that is not powershell.exe -EncodedCommand <script>: %.120q", line)
			continue
		}
		if !seen[text] {
			seen[text] = true
			scripts[fmt.Sprintf("sent-%02d.ps1", len(scripts)+1)] = text
		}
	}
	if len(comm.lines) == 0 || len(comm.uploads) == 0 {
		t.Fatalf("the provisioner started %d commands and uploaded %d PowerShell files", len(comm.lines), len(comm.uploads))
	}
	for dst, text := range comm.uploads {
		scripts[fmt.Sprintf("upload-%02d-%s", len(scripts)+1, path.Base(strings.ReplaceAll(dst, `\`, "/")))] = text
	}
	files := pscheck.WriteScripts(t, scripts)
	out, code := pscheck.Check(t, root, files...)
	n, ok := pscheck.ParseCounts(out)
	if code != 0 || !ok || n.Errors != 0 || n.Files != len(files) {
		t.Fatalf("check.js exited %d on the provisioner's %d scripts:\n%s", code, len(files), out)
	}
	t.Logf("%d command lines and %d uploads: %d distinct scripts, %d commands: %d cmdlets, %d functions",
		len(comm.lines), len(comm.uploads), len(files), n.Commands, n.Cmdlets, n.Functions)
}
