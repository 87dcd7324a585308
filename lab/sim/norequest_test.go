package sim

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/msilab/msilab/lab/ops"
)

// TestBatchWithoutRequest: a batch whose stdin is empty (or holds JSON
// without ops) is answered "no request", as batch.ps1 answers it, never
// "module missing", so the client does not reinstall the module; the
// client's Exchange reports ops.ErrNoRequest. A real request still runs.
func TestBatchWithoutRequest(t *testing.T) {
	h, err := NewHost(Options{Hostname: "lab1", User: "msilab"})
	if err != nil {
		t.Fatal(err)
	}
	line := ops.EncodedCommand(ops.BatchScript)
	for _, stdin := range []string{"", "\r\n", "null", `{"v":1}`} {
		out, _, code := runLine(t, h, line, stdin)
		var resp ops.Response
		if code != 0 || json.Unmarshal([]byte(out), &resp) != nil || resp.NoRequest == "" || resp.Module != "" {
			t.Errorf("stdin %q: exit %d, %s; want a no-request answer", stdin, code, out)
		}
		installs := 0
		_, err := ops.Exchange(nil, 1, func([]byte) ([]byte, error) { return []byte(out), nil },
			func() error { installs++; return nil })
		if !errors.Is(err, ops.ErrNoRequest) || installs != 0 {
			t.Errorf("stdin %q: Exchange %v after %d installs, want ErrNoRequest and none", stdin, err, installs)
		}
	}
	req, err := ops.EncodeRequest([]ops.Op{ops.MustNew(ops.OpHostInfo, nil)})
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := runLine(t, h, line, string(req))
	var resp ops.Response
	if code != 0 || json.Unmarshal([]byte(out), &resp) != nil || resp.NoRequest != "" {
		t.Errorf("a real request: exit %d, %s", code, out)
	}
}
