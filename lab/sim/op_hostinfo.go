package sim

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

func init() { registerOp(ops.OpHostInfo, hostInfo) }

func hostInfo(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	if err := decodeArgs(args, &struct{}{}); err != nil {
		return nil, err
	}
	return ops.HostInfo{
		Hostname: h.hostname,
		User:     strings.ToLower(h.hostname) + `\` + bareUser(s.User),
		Elevated: true, // the WinRM session of an administrator has a full token
		Profile:  h.profile,
	}, nil
}
