package sim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/testpkgs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenSteps run in order on one fresh host; each step is one batch.
var goldenSteps = []struct {
	name string
	ops  string // a JSON array of ops
}{
	{"host", `[{"op":"host.info"}]`},
	{"service-get", `[{"op":"service.get","args":{"name":"msiserver"}},{"op":"service.get","args":{"name":"NoSuchService"}}]`},
	{"service-disable", `[
		{"op":"service.set_start","args":{"name":"msiserver","start_type":"Disabled"}},
		{"op":"service.start","args":{"name":"msiserver"}},
		{"op":"service.set_start","args":{"name":"msiserver","start_type":"Manual"}},
		{"op":"service.start","args":{"name":"msiserver"}},
		{"op":"service.stop","args":{"name":"msiserver"}},
		{"op":"service.stop","args":{"name":"msiserver"}}]`},
	{"registry", `[
		{"op":"registry.get","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"DisableMSI"}},
		{"op":"registry.set","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"DisableMSI","type":"REG_DWORD","number":2}},
		{"op":"registry.set","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"Logging","type":"REG_SZ","string":"voicewarmupx"}},
		{"op":"registry.get","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"DisableMSI"}},
		{"op":"registry.list","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer"}},
		{"op":"registry.delete_value","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"DisableMSI"}},
		{"op":"registry.delete_key","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer"}},
		{"op":"registry.get","args":{"path":"HKLM\\SYSTEM\\CurrentControlSet\\Services\\msiserver","name":"ImagePath"}}]`},
	{"acl", `[
		{"op":"acl.get","args":{"path":"C:\\Windows\\Temp"}},
		{"op":"acl.set","args":{"path":"C:\\Windows\\Temp","sddl":"D:PAI(A;OICI;0x100001;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100026;;;BU)(A;OICIIO;FA;;;CO)"}},
		{"op":"acl.get","args":{"path":"C:\\Windows\\Installer"}},
		{"op":"acl.get","args":{"path":"C:\\No\\Such"}}]`},
	{"paths", `[
		{"op":"path.create","args":{"path":"C:\\lab\\a\\b","type":"directory"}},
		{"op":"path.create","args":{"path":"C:\\lab\\a\\b\\f.txt","type":"file","content":"aGVsbG8="}},
		{"op":"path.stat","args":{"path":"C:\\lab\\a\\b\\f.txt"}},
		{"op":"path.stat","args":{"path":"C:\\lab\\a\\b\\missing.txt"}},
		{"op":"path.stat","args":{"path":"C:\\lab\\missing\\x.txt"}},
		{"op":"path.list","args":{"path":"C:\\lab\\a\\b"}},
		{"op":"path.move","args":{"from":"C:\\Windows\\Installer","to":"C:\\Windows\\Installer.msilab"}},
		{"op":"path.stat","args":{"path":"C:\\Windows\\Installer"}},
		{"op":"path.move","args":{"from":"C:\\Windows\\Installer.msilab","to":"C:\\Windows\\Installer"}},
		{"op":"path.remove","args":{"path":"C:\\lab\\a\\b\\f.txt"}},
		{"op":"path.remove","args":{"path":"C:\\lab\\a\\b\\f.txt"}},
		{"op":"path.remove","args":{"path":"C:\\lab\\a"}}]`},
	// Attributes: C:\Windows\Installer is Hidden and System; a bad name
	// and a missing path change nothing.
	{"attributes", `[
		{"op":"path.set_attributes","args":{"path":"C:\\Windows\\Installer","attributes":["ReadOnly"]}},
		{"op":"path.set_attributes","args":{"path":"C:\\Windows\\Installer","attributes":["Hidden","System"]}},
		{"op":"path.set_attributes","args":{"path":"C:\\Windows\\Installer","attributes":["Archive"]}},
		{"op":"path.set_attributes","args":{"path":"C:\\No\\Such","attributes":[]}},
		{"op":"path.stat","args":{"path":"C:\\Windows\\Installer"}}]`},
	{"users", `[
		{"op":"user.get","args":{"name":"labuser"}},
		{"op":"user.ensure","args":{"name":"labuser","password":"Lab-Passw0rd!"}},
		{"op":"user.ensure","args":{"name":"labuser","password":"Lab-Passw0rd!"}},
		{"op":"user.get","args":{"name":"labuser"}},
		{"op":"user.logon","args":{"name":"labuser"}},
		{"op":"user.logon","args":{"name":"msilab"}},
		{"op":"user.logon","args":{"name":"nobody"}},
		{"op":"path.stat","args":{"path":"C:\\Users\\labuser\\AppData\\Local\\Temp"}}]`},
	// Each context's token; admin-filtered's logon is refused (the batch
	// has a wrong password for msilab), and a user outside standard-user
	// is refused.
	{"tokens", `[
		{"op":"user.token"},
		{"op":"user.token","args":{"context":"standard-user","user":"labuser"}},
		{"op":"user.token","args":{"context":"system"}},
		{"op":"user.token","args":{"context":"admin-filtered"}},
		{"op":"user.token","args":{"context":"admin-elevated","user":"labuser"}}]`},
	{"events", `[{"op":"eventlog.bookmark"},{"op":"eventlog.query","args":{"after":0,"source":"MsiInstaller"}}]`},
	// Hyper-V ops on a host without Hyper-V (lab/snapshot/hyperv tests a
	// simulated Hyper-V host).
	{"hyperv-absent", `[
		{"op":"hyperv.vm.get","args":{"vm":"win11-a"}},
		{"op":"hyperv.checkpoint.restore","args":{"vm":"win11-a","checkpoint":"msilab-clean"}},
		{"op":"hyperv.vm.start","args":{"vm":"win11-a"}},
		{"op":"hyperv.vm.get","args":{}}]`},
	{"mutex", `[
		{"op":"mutex.get","args":{"name":"Global\\_MSIExecute"}},
		{"op":"mutex.hold","args":{"name":"Global\\_MSIExecute","seconds":600}},
		{"op":"mutex.get","args":{"name":"Global\\_MSIExecute"}},
		{"op":"mutex.release","args":{"name":"Global\\_MSIExecute"}},
		{"op":"mutex.release","args":{"name":"Global\\_MSIExecute"}}]`},
	{"bad", `[
		{"op":"no.such.op"},
		{"op":"service.get"},
		{"op":"service.get","args":{"name":42}},
		{"op":"service.start","args":{"name":"msiserver","start_type":"Manual"}},
		{"op":"service.set_start","args":{"name":"msiserver","start_type":"Sometimes"}},
		{"op":"registry.set","args":{"path":"HKLM\\SOFTWARE\\X","name":"v","type":"REG_DWORD","number":4294967296}},
		{"op":"acl.set","args":{"path":"C:\\Windows\\Temp","sddl":"D:(A;;XX;;;SY)"}},
		{"op":"path.create","args":{"path":"relative\\path","type":"directory"}},
		{"op":"path.remove","args":{"path":"C:\\Windows"}},
		{"op":"mutex.hold","args":{"name":"Global\\_MSIExecute","seconds":0}},
		{"op":"sim.restore","args":{"name":"never-saved"}}]`},
	// The Windows Installer ops: a per-machine install, its removal, then
	// the same install under a broken C:\Windows\Temp (2503 then 2502).
	// @permachine@ is replaced by the test package's base64.
	{"msi", `[
		{"op":"path.create","args":{"path":"C:\\ProgramData\\msilab\\packages","type":"directory"}},
		{"op":"path.create","args":{"path":"C:\\ProgramData\\msilab\\packages\\permachine.msi","type":"file","content":"@permachine@"}},
		{"op":"path.hash","args":{"path":"C:\\ProgramData\\msilab\\packages\\permachine.msi"}},
		{"op":"path.hash","args":{"path":"C:\\ProgramData\\msilab\\packages\\none.msi"}},
		{"op":"path.hash","args":{"path":"C:\\ProgramData\\msilab"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi"}},
		{"op":"path.stat","args":{"path":"C:\\Program Files (x86)\\MsiLab\\PerMachine\\readme.txt"}},
		{"op":"msi.uninstall","args":{"product":"{92281016-51D7-4D16-BEF2-82F4FB32D003}"}},
		{"op":"acl.set","args":{"path":"C:\\Windows\\Temp","sddl":"D:PAI(D;OICI;0x116;;;SY)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"admin-elevated"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"standard-user"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"standard-user","user":"labuser"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"standard-user","user":"labuser","logon":"s4u-task"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"admin-elevated","logon":"s4u-task"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"sometimes"}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","properties":{"lower":"x"}}},
		{"op":"msi.install","args":{"package":"C:\\ProgramData\\msilab\\packages\\none.msi"}},
		{"op":"msi.uninstall","args":{"product":"{not-a-guid}"}}]`},
	// A DACL that locks the administrator out: applied, then unreadable.
	{"acl-lockout", `[
		{"op":"acl.set","args":{"path":"C:\\Windows\\Temp","sddl":"D:PAI(A;OICI;FA;;;SY)(A;CI;0x100026;;;BU)"}},
		{"op":"acl.get","args":{"path":"C:\\Windows\\Temp"}}]`},
	// msiexec /unregister and /regserver. The msi step left msiserver
	// running: unregistering marks it for deletion, and it goes when it
	// stops; a stopped service goes at once. Last, so that the PIDs the
	// earlier steps log stay as they are.
	{"installer-registration", `[
		{"op":"installer.unregister"},
		{"op":"installer.register"},
		{"op":"service.stop","args":{"name":"msiserver"}},
		{"op":"service.get","args":{"name":"msiserver"}},
		{"op":"installer.unregister"},
		{"op":"installer.register"},
		{"op":"service.get","args":{"name":"msiserver"}},
		{"op":"installer.register"},
		{"op":"installer.unregister"},
		{"op":"installer.register"},
		{"op":"service.configure","args":{"name":"msiserver","start_type":"Manual","display_name":"Windows Installer","image_path":"%systemroot%\\system32\\msiexec.exe /V","object_name":"LocalSystem","dependencies":["RpcSs"],"description":"@%SystemRoot%\\system32\\msimsg.dll,-32","failure_actions":"gFEBAAAAAAAAAAAAAQAAAAAAAAABAAAAYOoAAA=="}},
		{"op":"service.configure","args":{"name":"msiserver","start_type":"Manual","display_name":"Windows Installer","image_path":"%systemroot%\\system32\\msiexec.exe /V","object_name":"LocalSystem","dependencies":["RpcSs"],"description":"@%SystemRoot%\\system32\\msimsg.dll,-32"}},
		{"op":"service.configure","args":{"name":"msiserver","start_type":"Sometimes","display_name":"x","image_path":"x","object_name":"LocalSystem"}},
		{"op":"service.configure","args":{"name":"msiserver","start_type":"Manual","display_name":"x","image_path":"x","object_name":"LocalSystem","failure_actions":"gFEBAAAAAAAAAAAAAwAAAAAAAAA="}},
		{"op":"service.configure","args":{"name":"NoSuchService","start_type":"Manual","display_name":"x","image_path":"x","object_name":"LocalSystem"}}]`},
	// path.remove with a marker removes only the folder that holds the
	// marker alone: the marked folder goes, marker first; an unmarked
	// folder (put back since) is kept; a marked one with more in it is
	// Conflict; a marker with a separator is refused.
	{"path-marker", `[
		{"op":"path.create","args":{"path":"C:\\lab\\made","type":"directory"}},
		{"op":"path.create","args":{"path":"C:\\lab\\made\\msilab-created.marker","type":"file","content":"eA=="}},
		{"op":"path.remove","args":{"path":"C:\\lab\\made","marker":"msilab-created.marker"}},
		{"op":"path.stat","args":{"path":"C:\\lab\\made"}},
		{"op":"path.create","args":{"path":"C:\\lab\\made","type":"directory"}},
		{"op":"path.remove","args":{"path":"C:\\lab\\made","marker":"msilab-created.marker"}},
		{"op":"path.stat","args":{"path":"C:\\lab\\made"}},
		{"op":"path.create","args":{"path":"C:\\lab\\made\\msilab-created.marker","type":"file","content":"eA=="}},
		{"op":"path.create","args":{"path":"C:\\lab\\made\\cached.msi","type":"file","content":"eA=="}},
		{"op":"path.remove","args":{"path":"C:\\lab\\made","marker":"msilab-created.marker"}},
		{"op":"path.remove","args":{"path":"C:\\lab\\missing","marker":"msilab-created.marker"}},
		{"op":"path.remove","args":{"path":"C:\\lab\\made","marker":"..\\x"}}]`},
	// The licence and host.health read the model clock: last, so that the
	// earlier steps' times stay as they are.
	{"host-license", `[{"op":"host.license"},{"op":"host.license","args":{"x":1}}]`},
	{"health", `[{"op":"host.health"},{"op":"user.rights","args":{"name":"msilab"}},{"op":"user.rights","args":{"name":"nobody"}}]`},
}

func TestOpsGolden(t *testing.T) {
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: "win11-24h2", Hostname: "WIN11-LAB"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	host, port := srv.HostPort()
	s, err := lab.Dial(context.Background(), lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pkg, err := testpkgs.Bytes("permachine")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range goldenSteps {
		var batch []ops.Op
		text := strings.ReplaceAll(step.ops, "@permachine@", base64.StdEncoding.EncodeToString(pkg))
		if err := json.Unmarshal([]byte(text), &batch); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		digest := srv.Host().Machine().Digest()
		// The batch's logons: the lab user's password (users step) and a
		// wrong one for msilab, whose user.logon then reports the refusal.
		ctx := lab.WithLogons(context.Background(), ops.Logon{User: "labuser", Password: "Lab-Passw0rd!"},
			ops.Logon{User: `WIN11-LAB\msilab`, Password: "wrong"})
		results, err := s.RunBatch(ctx, batch)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if step.name == "bad" && srv.Host().Machine().Digest() != digest {
			t.Errorf("bad ops changed the host")
		}
		got, _ := json.MarshalIndent(results, "", "  ")
		got = append(got, '\n')
		file := filepath.Join("testdata", "golden", step.name+".json")
		if *update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%s: %v (run with -update to create it)", step.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: result differs from %s (run with -update after checking):\n%s", step.name, file, got)
		}
	}
}

// Every op of the catalog has a simulated twin and a golden step.
func TestCatalogHasSimulatedTwins(t *testing.T) {
	have := map[string]bool{}
	for _, n := range sim.SupportedOps() {
		have[n] = true
	}
	covered := map[string]bool{"sim.snapshot": true, "sim.restore": true} // TestSnapshotOps
	for _, step := range goldenSteps {
		var batch []ops.Op
		json.Unmarshal([]byte(step.ops), &batch)
		for _, op := range batch {
			covered[op.Name] = true
		}
	}
	for _, spec := range ops.Catalog {
		if !have[spec.Name] {
			t.Errorf("%s has no simulated implementation", spec.Name)
		}
		if !covered[spec.Name] {
			t.Errorf("%s has no golden step", spec.Name)
		}
		delete(have, spec.Name)
	}
	for n := range have {
		t.Errorf("simulated op %s is not in the catalog", n)
	}
}

func TestSnapshotOps(t *testing.T) {
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: "server2022"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	host, port := srv.HostPort()
	s, err := lab.Dial(context.Background(), lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password(), Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := func(batch string) []ops.Result {
		t.Helper()
		var b []ops.Op
		json.Unmarshal([]byte(batch), &b)
		res, err := s.RunBatch(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var snap ops.Snapshot
	if err := run(`[{"op":"sim.snapshot","args":{"name":"clean"}}]`)[0].Decode(&snap); err != nil {
		t.Fatal(err)
	}
	res := run(`[{"op":"acl.set","args":{"path":"C:\\Windows\\Temp","sddl":"D:P(A;OICI;FA;;;BA)"}},
		{"op":"registry.set","args":{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"DisableMSI","type":"REG_DWORD","number":1}},
		{"op":"service.set_start","args":{"name":"msiserver","start_type":"Disabled"}},
		{"op":"sim.restore","args":{"name":"clean"}}]`)
	var restored ops.SnapshotRestored
	if err := res[3].Decode(&restored); err != nil {
		t.Fatal(err)
	}
	if restored.Digest != snap.Digest || restored.DigestBefore == snap.Digest {
		t.Fatalf("restore: %+v, snapshot %s", restored, snap.Digest)
	}
	var svc ops.Service
	if err := run(`[{"op":"service.get","args":{"name":"msiserver"}}]`)[0].Decode(&svc); err != nil || svc.StartType != "Manual" {
		t.Fatalf("after restore: %+v %v", svc, err)
	}
}
