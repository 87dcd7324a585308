package sim

import "github.com/msilab/msilab/lab/ops"

func init() {
	registerOp(ops.OpHostInfo, typed(nil, func(c opCall, _ noArgs) (any, error) {
		p := c.h.Profile()
		return ops.HostInfo{
			Hostname:       c.h.Hostname(),
			ProductName:    p.DisplayName,
			Edition:        p.EditionID,
			Build:          p.Version(),
			DisplayVersion: p.DisplayVersion,
			MsiVersion:     p.MsiVersion,
			User:           c.h.m.LookupSID(c.tok.User), // HOST\user
			UserSID:        string(c.tok.User),
			Elevated:       c.tok.Elevated,
			Profile:        p.Name,
		}, nil
	}))
}
