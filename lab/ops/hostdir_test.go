package ops

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// The module and the upload script repeat HostDirSDDL; the batch imports
// the bytes it hashed; the module checks the host folder before any op;
// the upload creates its temporary file with CreateNew.
func TestHostDirShared(t *testing.T) {
	module := string(Module)
	if !strings.Contains(module, "$script:MsiLabHostDirSddl = '"+HostDirSDDL+"'\n") {
		t.Errorf("MsiLab.psm1 does not set $script:MsiLabHostDirSddl to %s", HostDirSDDL)
	}
	if !strings.Contains(UploadScript, "SetSecurityDescriptorSddlForm('"+HostDirSDDL+"')") {
		t.Errorf("upload.ps1 does not make folders below %s with %s", HostDir, HostDirSDDL)
	}
	batch := regexp.MustCompile(`(?m)^function Invoke-MsiLabBatch \{\n(?:.*\n){1,4}\s*\$problem = Get-MsiLabHostDirProblem \$hostDir\n`)
	if !batch.MatchString(module) {
		t.Error("Invoke-MsiLabBatch does not check the host folder before any op")
	}
	if strings.Contains(BatchScript, "Import-Module -Name $module") || !strings.Contains(BatchScript, "ComputeHash($bytes)") ||
		!strings.Contains(BatchScript, "GetString($bytes)") {
		t.Error("the batch script does not import the very bytes it hashed")
	}
	if strings.Contains(UploadScript, "File]::Create($tmp") || strings.Contains(UploadScript, "Copy($staged, $tmp") ||
		!strings.Contains(UploadScript, "FileStream]::new($tmp, 'CreateNew'") {
		t.Error("upload.ps1 may open a file planted at <dest>.msilab-upload: create it with CreateNew")
	}
}

// A batch answered with host_dir is a HostDirError naming the problem;
// no module is installed.
func TestExchangeHostDirError(t *testing.T) {
	installed := false
	_, err := Exchange([]byte("{}"), 1, func([]byte) ([]byte, error) {
		return []byte(`{"v":1,"host_dir":{"path":"C:\\ProgramData\\msilab","problem":"owned by S-1-5-21-1-2-3-1001"}}`), nil
	}, func() error { installed = true; return nil })
	var he *HostDirError
	if !errors.As(err, &he) || he.Problem != "owned by S-1-5-21-1-2-3-1001" || installed {
		t.Fatalf("%v (installed %v)", err, installed)
	}
	if !strings.Contains(err.Error(), "owned by S-1-5-21-1-2-3-1001") || !strings.Contains(err.Error(), HostDirSDDL) {
		t.Errorf("the error does not name the problem and what msilab sets: %v", err)
	}
	if b, _ := json.Marshal(Response{Version: 1}); strings.Contains(string(b), "host_dir") {
		t.Errorf("a response without a host folder problem names it: %s", b)
	}
}
