package sim

import (
	"context"
	"encoding/json"

	"github.com/msilab/msilab/lab/ops"
)

func init() { registerOp(ops.OpHostInfo, hostInfo) }

func hostInfo(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	if err := decodeArgs(args, &struct{}{}); err != nil {
		return nil, err
	}
	tok, err := h.token(s)
	if err != nil {
		return nil, opError(err)
	}
	p := h.Profile()
	return ops.HostInfo{
		Hostname:       h.Hostname(),
		ProductName:    p.DisplayName,
		Edition:        p.EditionID,
		Build:          p.Version(),
		DisplayVersion: p.DisplayVersion,
		MsiVersion:     p.MsiVersion,
		User:           h.Hostname() + `\` + h.accountName(s.User),
		UserSID:        string(tok.User),
		Elevated:       tok.Elevated,
		Profile:        p.Name,
	}, nil
}
