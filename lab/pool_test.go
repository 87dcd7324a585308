package lab

import (
	"context"
	"testing"
	"time"
)

// Two pools over the same hosts, as two Ginkgo processes: a host leased by
// one is not leased by the other until released.
func TestPoolLockDirAcrossPools(t *testing.T) {
	dir := t.TempDir()
	mk := func() *Pool {
		p := NewPool([]*Host{NewHost(HostSpec{Name: "h1", OS: "win11-24h2"}, Endpoint{})})
		p.LockDir = dir
		return p
	}
	a, b := mk(), mk()
	h, err := a.Lease(context.Background(), "win11-24h2")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.Lease(ctx, "win11-24h2"); err == nil {
		t.Fatal("the second pool leased a host the first holds")
	}
	a.Release(h)
	if _, err := b.Lease(context.Background(), "win11-24h2"); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := a.Lease(context.Background(), "no-such-os"); err == nil {
		t.Error("leased a host of an OS the pool lacks")
	}
}
