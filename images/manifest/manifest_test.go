package manifest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/lab/ops"
)

func sample(t *testing.T) *manifest.Manifest {
	t.Helper()
	m := &manifest.Manifest{
		Schema:   manifest.SchemaVersion,
		Created:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Template: manifest.Template{Name: "images/windows", GitRevision: "abc", BuildName: "windows", Builder: "qemu"},
		Host:     manifest.Host{OSProfile: "win11-24h2", Build: "10.0.26100.2605", MsiVersion: "5.0.26100.2605"},
		Baseline: manifest.Baseline{AdminUser: "msilab", StandardUser: "msilab-user", Context: ops.ContextAdminElevated,
			Faults: []manifest.FaultState{{Name: "disable-msi", Params: json.RawMessage(`{"value":2}`),
				Probe:    []ops.Result{{Op: ops.OpRegistryGet, OK: true, Value: json.RawMessage(`{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"DisableMSI","exists":false}`)}},
				Evidence: `DisableMSI absent & <fine>`}}},
	}
	if err := m.Seal(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRoundTrip: an encoded manifest reads back, and its baseline hash
// still holds after the indentation of the file.
func TestRoundTrip(t *testing.T) {
	m := sample(t)
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := manifest.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Read: %v\n%s", err, data)
	}
	if back.BaselineSHA256 != m.BaselineSHA256 || len(back.BaselineSHA256) != 64 || back.Template != m.Template {
		t.Fatalf("read back %+v", back)
	}
	again, _ := back.Encode()
	if !bytes.Equal(again, data) {
		t.Fatalf("re-encoding differs:\n%s\n%s", again, data)
	}
}

// TestTamper: a changed baseline no longer matches its hash.
func TestTamper(t *testing.T) {
	data, _ := sample(t).Encode()
	bad := bytes.Replace(data, []byte(`"exists": false`), []byte(`"exists": true`), 1)
	if bytes.Equal(bad, data) {
		t.Fatal("sample has no exists: false")
	}
	_, err := manifest.Read(bytes.NewReader(bad))
	var hashErr *manifest.HashError
	if !errors.Is(err, manifest.ErrBaselineHash) || !errors.As(err, &hashErr) || hashErr.Want == hashErr.Got {
		t.Fatalf("Read of a tampered manifest: %v", err)
	}
}

func TestReadStrict(t *testing.T) {
	data, _ := sample(t).Encode()
	if _, err := manifest.Read(bytes.NewReader(bytes.Replace(data, []byte(`"schema": 2,`), []byte(`"schema": 2, "extra": 1,`), 1))); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := manifest.Read(bytes.NewReader(bytes.Replace(data, []byte(`"schema": 2,`), []byte(`"schema": 1,`), 1))); err == nil || !strings.Contains(err.Error(), "schema 1, this build reads 2") {
		t.Errorf("schema 1: %v", err)
	}
}

// TestField: the JSON paths the doctor section names resolve to values;
// an object, a missing member or a path through a value does not.
func TestField(t *testing.T) {
	m := sample(t)
	m.Host.MachineSID = "S-1-5-21-1-2-3"
	for path, want := range map[string]string{"host.build": "10.0.26100.2605", "host.machine_sid": "S-1-5-21-1-2-3",
		"schema": "2", "template.builder": "qemu", "license.evaluation": "false"} {
		if got, err := m.Field(path); err != nil || got != want {
			t.Errorf("Field(%s) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"host", "host.nope", "host.build.x", ""} {
		if got, err := m.Field(path); err == nil {
			t.Errorf("Field(%q) = %q, want an error", path, got)
		}
	}
	for _, path := range manifest.DoctorSame {
		if _, err := m.Field(path); err != nil {
			t.Errorf("doctor compares %s: %v", path, err)
		}
	}
}
