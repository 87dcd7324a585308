package provisioner_test

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/msilab/msilab/images/provisioner"
	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
)

// TestHostDirRequestIsASCII: the host folder's request goes out as a
// batch's does (ops.EncodeJSON), so a folder whose name has non-ASCII
// characters reaches the host's stdin as \u escapes. A request with a byte
// above 0x7e is dropped here and counted; the folder is still secured, at
// the name asked for.
func TestHostDirRequestIsASCII(t *testing.T) {
	srv := startSim(t, "win11-24h2")
	g := testlab.NewGate(srv.URL())
	front := httptest.NewServer(g)
	defer front.Close()
	u, _ := url.Parse(front.URL)
	port, _ := strconv.Atoi(u.Port())
	s, err := lab.Dial(testContext(t), lab.Endpoint{Host: u.Hostname(), Port: port, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
	const dir = `C:\ProgramData\msilab-Ünïcode-日本`
	res, err := provisioner.SecureHostDir(testContext(t), s, dir)
	if err != nil {
		t.Fatalf("securing %s: %v", dir, err)
	}
	if res.Path != dir || !res.Created {
		t.Errorf("result %+v: want %s created", res, dir)
	}
	if fi, err := srv.Host().Machine().FS().Stat(dir); err != nil || !fi.Dir || fi.Path != dir {
		t.Errorf("%s on the host: %+v, %v", dir, fi, err)
	}
	if n := nonASCII.Load(); n != 0 {
		t.Errorf("%d request(s) put a byte above 0x7e on stdin", n)
	}
}
