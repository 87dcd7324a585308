package sim_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
)

// TestRegistryDeleteKeyPartial: a subkey that may not be deleted stops
// registry.delete_key part way; the error comes with the whole tree as it
// was, from which the deleted part can be written back.
func TestRegistryDeleteKeyPartial(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2")
	const root = `HKLM\SOFTWARE\msilab-partial`
	set := func(key, name string) ops.Op {
		return ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: key, Name: name, Type: "REG_SZ", String: name})
	}
	h.MustRun(set(root+`\a`, "va"), set(root+`\b`, "vb"), set(root+`\c`, "vc"), set(root, "top"))
	if err := h.Srv.Host().Machine().Registry().DenyDelete(root + `\b`); err != nil {
		t.Fatal(err)
	}
	res := h.Run(ops.MustNew(ops.OpRegistryDeleteKey, ops.RegistryKeyArgs{Path: root}))[0]
	if err := res.Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeAccessDenied}) {
		t.Fatalf("delete_key over an undeletable subkey: %v, want AccessDenied", err)
	}
	var ch ops.RegistryKeyChange
	if err := json.Unmarshal(res.Value, &ch); err != nil || !ch.Before.Exists || len(ch.Before.Subkeys) != 3 || len(ch.Before.Values) != 1 {
		t.Fatalf("the failed delete lost its undo data: %s (%v)", res.Value, err)
	}
	exists := func(key string) bool {
		var k ops.RegistryKey
		if err := h.MustRun(ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: key}))[0].Decode(&k); err != nil {
			t.Fatal(err)
		}
		return k.Exists
	}
	if exists(root+`\a`) || !exists(root+`\b`) || !exists(root+`\c`) {
		t.Errorf("not a partial delete: a %v, b %v, c %v", exists(root+`\a`), exists(root+`\b`), exists(root+`\c`))
	}
	// The undo data puts the deleted part back.
	for _, k := range ch.Before.Subkeys {
		for _, v := range k.Values {
			h.MustRun(set(k.Path, v.Name))
		}
	}
	if !exists(root + `\a`) {
		t.Errorf("the undo data did not restore %s", root+`\a`)
	}
}

// TestServiceStuckPending: a service that hangs pending makes service.start
// and service.stop fail, after their bounded wait, with Conflict naming
// the state (ERROR_SERVICE_REQUEST_TIMEOUT), not wait forever; once it
// reports, they succeed.
func TestServiceStuckPending(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2")
	svcs := h.Srv.Host().Machine().Services()
	svc := ops.ServiceArgs{Name: ops.InstallerService}
	svcs.SetStuck(svc.Name, true)
	for _, tc := range []struct{ op, want string }{{ops.OpServiceStart, "StartPending"}, {ops.OpServiceStop, "StartPending"}} {
		err := h.Run(ops.MustNew(tc.op, svc))[0].Decode(nil)
		var oe *ops.Error
		if !errors.As(err, &oe) || oe.Code != ops.CodeConflict || oe.Win32 != 1053 || !strings.Contains(oe.Message, "it is "+tc.want) {
			t.Errorf("%s of a hung service: %v, want Conflict 1053 naming %s", tc.op, err, tc.want)
		}
	}
	var got ops.Service
	if err := h.MustRun(ops.MustNew(ops.OpServiceGet, svc))[0].Decode(&got); err != nil || got.State != "StartPending" {
		t.Fatalf("service.get of the hung service: %+v %v", got, err)
	}
	svcs.SetStuck(svc.Name, false)
	if err := h.MustRun(ops.MustNew(ops.OpServiceStart, svc))[0].Decode(nil); err != nil {
		t.Errorf("start once it reports: %v", err)
	}
	svcs.SetStuck(svc.Name, true)
	err := h.Run(ops.MustNew(ops.OpServiceStop, svc))[0].Decode(nil)
	if !errors.Is(err, &ops.Error{Code: ops.CodeConflict}) || !strings.Contains(err.Error(), "it is StopPending") {
		t.Errorf("stop of a service hanging in its stop: %v", err)
	}
	svcs.SetStuck(svc.Name, false)
	if err := h.MustRun(ops.MustNew(ops.OpServiceGet, svc))[0].Decode(&got); err != nil || got.State != "Stopped" {
		t.Errorf("after it reports: %+v %v", got, err)
	}
}

// TestModuleServiceWaitBounded: the module starts and stops services with
// a bounded wait (never Start-Service or Stop-Service, which wait forever
// on a hung service), as long as the simulated host reports.
func TestModuleServiceWaitBounded(t *testing.T) {
	m := regexp.MustCompile(`\$script:MsiLabServiceWaitSeconds = (\d+)`).FindStringSubmatch(string(ops.Module))
	if m == nil || m[1] != strconv.Itoa(sim.ServiceWait) {
		t.Errorf("the module's service wait %v is not the simulator's %d s", m, sim.ServiceWait)
	}
	for _, fn := range []string{"Start-MsiLabService", "Stop-MsiLabService"} {
		body := regexp.MustCompile(`(?s)\nfunction ` + fn + ` \{\r?\n(.*?)\r?\n\}`).FindStringSubmatch(string(ops.Module))
		if body == nil || !strings.Contains(body[1], "Wait-MsiLabServiceStatus") ||
			strings.Contains(body[1], "Start-Service ") || strings.Contains(body[1], "Stop-Service ") {
			t.Errorf("%s does not bound its wait", fn)
		}
	}
}

// TestPathStatAccessDenied: path.stat of a file the caller may not read
// the attributes of (nor list its folder) is AccessDenied, not "missing";
// a missing file is still exists=false, and one whose folder may be listed
// is found.
func TestPathStatAccessDenied(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2")
	const dir, file = `C:\lab-stat`, `C:\lab-stat\f.txt`
	h.MustRun(ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: dir, Type: "directory"}),
		ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: file, Type: "file"}))
	setSD := func(path, sddl string) {
		t.Helper()
		if err := h.MustRun(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: path, SDDL: sddl, Sections: []string{"owner", "dacl"}}))[0].Decode(nil); err != nil {
			t.Fatal(err)
		}
	}
	stat := func(path string) (ops.PathInfo, error) {
		var pi ops.PathInfo
		err := h.Run(ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: path}))[0].Decode(&pi)
		return pi, err
	}
	setSD(file, "O:SYD:P(A;;FA;;;SY)")
	// The folder still lets the admin list it: the file's attributes show.
	if pi, err := stat(file); err != nil || !pi.Exists {
		t.Fatalf("stat with the folder listable: %+v %v", pi, err)
	}
	setSD(dir, "O:SYD:P(A;OICI;FA;;;SY)")
	if pi, err := stat(file); !errors.Is(err, &ops.Error{Code: ops.CodeAccessDenied}) {
		t.Errorf("stat of an unreadable file: %+v %v, want AccessDenied", pi, err)
	}
	if pi, err := stat(dir + `\missing.txt`); err != nil || pi.Exists || !pi.ParentExists {
		t.Errorf("stat of a missing file: %+v %v, want exists=false", pi, err)
	}
}
