package sim

import (
	"strconv"
	"time"

	"github.com/msilab/msilab/lab/ops"
)

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
	registerOp(ops.OpHostHealth, typed(nil, func(c opCall, _ noArgs) (any, error) {
		o := c.h.opts
		return ops.HostHealth{
			PSVersion:    "5.1." + strconv.Itoa(c.h.Profile().Build) + "." + strconv.Itoa(c.h.Profile().UBR),
			LanguageMode: "FullLanguage",
			ClockUTC:     c.h.m.Now().UTC().Format(time.RFC3339Nano),
			SystemDrive:  "C:",
			FreeBytes:    o.DiskFreeBytes,
			SizeBytes:    o.DiskSizeBytes,
			WinRM: ops.WinRMLimits{MaxEnvelopeSizeKB: o.MaxEnvelopeSizeKB, MaxMemoryPerShellMB: o.MaxMemoryPerShellMB,
				MaxShellsPerUser: o.MaxShellsPerUser},
		}, nil
	}))
}
