package faults

import (
	"fmt"

	"github.com/msilab/msilab/lab/ops"
)

// Helpers of the faults that hide a folder by renaming it (installer-missing,
// user-temp missing): Probe stats the folder and its hidden name; Inject
// moves it; Revert moves it back when the probe saw it in place.

// hiddenSuffix is appended to a hidden folder's name.
const hiddenSuffix = ".msilab-hidden"

func hideProbe(path string) []ops.Op {
	return []ops.Op{ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: path}), ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: path + hiddenSuffix})}
}

// hideState reads hideProbe's results at i: the folder and its hidden name.
func hideState(p Probe, i int) (dir, hidden ops.PathInfo, err error) {
	if err = p.result(i, ops.OpPathStat, &dir); err != nil {
		return
	}
	err = p.result(i+1, ops.OpPathStat, &hidden)
	return
}

func hideInject(p Probe, i int, path string) ([]ops.Op, error) {
	dir, hidden, err := hideState(p, i)
	if err != nil {
		return nil, err
	}
	switch {
	case hidden.Exists:
		return nil, hostState("%s exists: an earlier run's fault was not reverted", hidden.Path)
	case !dir.Exists:
		return nil, hostState("%s does not exist: nothing to hide", path)
	case !dir.IsDir:
		return nil, hostState("%s is not a folder", path)
	}
	return []ops.Op{ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: path, To: path + hiddenSuffix})}, nil
}

// hideRevert moves the folder back, if the probe saw it in place and
// nothing at its hidden name. A second send finds no hidden folder:
// NotFound, "already reverted".
func hideRevert(p Probe, i int, path string) ([]ops.Op, error) {
	if p.readFailed(i, 2) {
		return nil, nil
	}
	dir, hidden, err := hideState(p, i)
	if err != nil {
		return nil, err
	}
	if !dir.Exists || hidden.Exists {
		return nil, nil
	}
	return []ops.Op{ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: path + hiddenSuffix, To: path})}, nil
}

func hideDetect(p Probe, i int, path string) (Detection, error) {
	dir, hidden, err := hideState(p, i)
	if err != nil {
		return Detection{}, err
	}
	if dir.Exists {
		return Detection{Present: false, Evidence: path + " exists"}, nil
	}
	ev := path + " does not exist"
	if hidden.Exists {
		ev += fmt.Sprintf(" (%s does)", hidden.Path)
	}
	return Detection{Present: true, Evidence: ev}, nil
}
