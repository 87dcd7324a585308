// Package simlab starts an embedded simulated lab: one simulated Windows
// host per OS profile, in-process, each a real WinRM server on loopback,
// reached through the same lab.Session path as a real host.
package simlab

import (
	"fmt"
	"slices"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/win"
)

// Lab is a running embedded lab.
type Lab struct {
	servers []*sim.Server
	hosts   []*lab.Host
}

// Options configure an embedded lab.
type Options struct {
	// OS lists the profiles to start (empty: every profile).
	OS []string
	// PerOS is how many hosts each profile gets (default 1).
	PerOS int
	// Profiles, when set, are the hosts' OS profiles themselves (read from
	// files, such as captured ones) instead of the built-in profiles OS
	// names: one host each (PerOS each), named and filtered by profile name.
	Profiles []win.Profile
}

// Start starts the hosts. Close stops them.
func Start(opts Options) (*Lab, error) {
	type profile struct {
		os   string
		data *win.Profile
	}
	var want []profile
	for i, p := range opts.Profiles {
		if len(opts.OS) == 0 || slices.Contains(opts.OS, p.Name) {
			want = append(want, profile{p.Name, &opts.Profiles[i]})
		}
	}
	if len(opts.Profiles) == 0 {
		if len(opts.OS) == 0 {
			for _, p := range win.Profiles() {
				opts.OS = append(opts.OS, p.Name)
			}
		}
		for _, os := range opts.OS {
			want = append(want, profile{os: os})
		}
	}
	if opts.PerOS < 1 {
		opts.PerOS = 1
	}
	l := &Lab{}
	for _, p := range want {
		os := p.os
		for i := 1; i <= opts.PerOS; i++ {
			name := os
			if opts.PerOS > 1 {
				name = fmt.Sprintf("%s-%d", os, i)
			}
			srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: os, Profile: p.data})
			if err == nil {
				err = srv.Start()
			}
			if err != nil {
				l.Close()
				return nil, fmt.Errorf("simlab: host %s: %w", name, err)
			}
			l.servers = append(l.servers, srv)
			host, port := srv.HostPort()
			spec := lab.HostSpec{Name: name, OS: os, Endpoint: srv.URL(), Auth: "basic", AllowBasicOverHTTP: true, User: srv.User(),
				StandardUser: "msilab-user", Snapshot: lab.SnapshotSpec{Driver: "sim", Name: "msilab-clean"}}
			ep := lab.Endpoint{Host: host, Port: port, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true}
			l.hosts = append(l.hosts, lab.NewHost(spec, ep))
		}
	}
	return l, nil
}

// Hosts are the lab's hosts, ready for a lab.Pool.
func (l *Lab) Hosts() []*lab.Host { return l.hosts }

// Server returns the simulated server behind a host name (for tests).
func (l *Lab) Server(name string) *sim.Server {
	for i, h := range l.hosts {
		if h.Spec.Name == name {
			return l.servers[i]
		}
	}
	return nil
}

// Close closes the hosts' sessions and stops the servers.
func (l *Lab) Close() {
	for _, h := range l.hosts {
		h.Close()
	}
	for _, s := range l.servers {
		s.Close()
	}
}
