package lab_test

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// TestStdinIsASCII: a batch, a download and an upload (its header and
// trailer) send their JSON through the one encoder, ops.EncodeJSON, so a
// path or password with non-ASCII characters reaches the host's stdin as
// \u escapes: a request with a byte above 0x7e is dropped here and
// counted, and all three still succeed.
func TestStdinIsASCII(t *testing.T) {
	srv, g, s := gated(t)
	const name = `C:\Windows\Temp\José-ü.txt`
	if err := srv.Host().Machine().FS().WriteFile(win.SystemToken(), name, []byte("données")); err != nil {
		t.Fatal(err)
	}
	var nonASCII atomic.Int32
	g.DropWhen(func(stdin []byte) bool {
		for _, c := range stdin {
			if c > 0x7e {
				nonASCII.Add(1)
				return true
			}
		}
		return false
	})
	if _, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: name})}); err != nil {
		t.Fatalf("a batch naming %s: %v", name, err)
	}
	var back bytes.Buffer
	if _, err := s.Download(context.Background(), name, &back); err != nil || back.String() != "données" {
		t.Fatalf("download of %s: %q, %v", name, back.String(), err)
	}
	const upName = `C:\Windows\Temp\Überweisung-日本.txt`
	if _, err := s.Upload(context.Background(), strings.NewReader("ça va"), upName); err != nil {
		t.Fatalf("upload to %s: %v", upName, err)
	}
	if got, err := srv.Host().Machine().FS().ReadFile(win.SystemToken(), upName); err != nil || string(got) != "ça va" {
		t.Fatalf("the uploaded %s: %q, %v", upName, got, err)
	}
	if n := nonASCII.Load(); n != 0 {
		t.Errorf("%d request(s) put a byte above 0x7e on stdin", n)
	}
	want, _ := ops.EncodeJSON(ops.Request{Version: ops.ProtocolVersion, ModuleSHA256: ops.ModuleSHA256})
	if got, _ := ops.EncodeRequest(nil); !bytes.Equal(got, want) {
		t.Errorf("EncodeRequest %s is not EncodeJSON's %s", got, want)
	}
}
