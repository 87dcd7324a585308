package e2e_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/win"
)

// Entries are built from the profiles at tree construction, one per OS.
func profileEntries() []TableEntry {
	var entries []TableEntry
	for _, p := range win.Profiles() {
		entries = append(entries, Entry(p.Name, Label("os:"+p.Name), NodeTimeout(30*time.Second), p))
	}
	return entries
}

var _ = Describe("a simulated lab host", func() {
	DescribeTable("answers over WinRM as its OS profile says",
		func(ctx SpecContext, p win.Profile) {
			srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: p.Name})
			Expect(err).NotTo(HaveOccurred())
			Expect(srv.Start()).To(Succeed())
			DeferCleanup(srv.Close)
			host, port := srv.HostPort()
			s, err := lab.Dial(ctx, lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password()})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(s.Close)

			batch := []ops.Op{{Name: ops.OpHostInfo}, {Name: ops.OpServiceGet, Args: []byte(`{"name":"msiserver"}`)},
				{Name: ops.OpACLGet, Args: []byte(`{"path":"C:\\Windows\\Temp"}`)}}
			res, err := s.RunBatch(ctx, batch)
			Expect(err).NotTo(HaveOccurred())

			var info ops.HostInfo
			Expect(res[0].Decode(&info)).To(Succeed())
			Expect(info.Build).To(Equal(fmt.Sprintf("10.0.%d.%d", p.Build, p.UBR)))
			Expect(info.MsiVersion).To(Equal(p.MsiVersion))
			Expect(info.Elevated).To(BeTrue())

			var svc ops.Service
			Expect(res[1].Decode(&svc)).To(Succeed())
			Expect(svc.StartType).To(Equal("Manual"))
			Expect(svc.State).To(Equal("Stopped"))

			var acl ops.ACL
			Expect(res[2].Decode(&acl)).To(Succeed())
			want, err := win.ParseSDDL(p.TempSDDL)
			Expect(err).NotTo(HaveOccurred())
			got, err := win.ParseSDDL(acl.SDDL)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.DACL.String()).To(Equal(want.DACL.String()))
			AddReportEntry("icacls C:\\Windows\\Temp", acl.ICACLS)
		},
		profileEntries(),
	)
})
