package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// CheckHostDir makes sure the host folder (ops.HostDir) is msilab's own
// before anything is written in it: it runs ops.HostDirScript with
// CreateOnly, which creates a missing folder with ops.HostDirSDDL and
// leaves one that exists as it is, then compares the folder's owner and
// DACL with ops.HostDirSDDL by the rights they grant (win.SameRights). A
// folder that differs, or is a reparse point, is an *ops.HostDirError:
// msilab does not fix it behind the user's back (what is in it may have
// been planted), it refuses the host. run runs a command as Session.Run
// does.
func CheckHostDir(ctx context.Context, run func(context.Context, Command) (*Output, error)) error {
	req, err := ops.EncodeJSON(ops.HostDirRequest{Path: ops.HostDir, SDDL: ops.HostDirSDDL, CreateOnly: true}) // ASCII, as a batch's request
	if err != nil {
		return err
	}
	out, err := run(ctx, Command{Line: hostDirCommand, Stdin: bytes.NewReader(req)})
	if err != nil {
		if herr := scriptHostDirError(err, ops.HostDirExitReparse); herr != nil {
			return herr
		}
		return fmt.Errorf("lab: check %s: %w", ops.HostDir, err)
	}
	var res ops.HostDirResult
	if err := json.Unmarshal(bytes.TrimSpace(out.Stdout), &res); err != nil {
		return fmt.Errorf("lab: check %s: the script's output %q: %w", ops.HostDir, out.Stdout, err)
	}
	have, err := win.ParseSDDL(res.After)
	if err != nil {
		return &ops.HostDirError{Path: ops.HostDir, Problem: fmt.Sprintf("its security descriptor %q cannot be read: %v", res.After, err)}
	}
	want, err := win.ParseSDDL(ops.HostDirSDDL)
	if err != nil {
		return err
	}
	if ok, why := win.SameRights(have, want, win.FileMapping); !ok {
		return &ops.HostDirError{Path: ops.HostDir, Problem: fmt.Sprintf("%s: %s (it has %s)", ops.HostDir, why, res.After)}
	}
	return nil
}

var hostDirCommand = ops.EncodedCommand(ops.HostDirScript)

// ErrPlantedFile is wrapped when an upload finds <dest>.msilab-upload
// there already, made by someone other than Administrators or SYSTEM.
var ErrPlantedFile = errors.New("lab: a file msilab did not create is in the way")

// uploadError is the typed error of an upload script's exit: a folder
// below the host folder that is a reparse point is an *ops.HostDirError,
// a temporary file someone planted wraps ErrPlantedFile.
func uploadError(err error) error {
	if herr := scriptHostDirError(err, ops.UploadExitHostDir); herr != nil {
		return herr
	}
	var xe *ExitError
	if errors.As(err, &xe) && xe.Code == ops.UploadExitPlanted {
		return fmt.Errorf("%w: %s; msilab never opens a file it did not create: remove it, and find out who made it", ErrPlantedFile, strings.TrimPrefix(xe.Stderr, "msilab: upload: "))
	}
	return err
}

// scriptHostDirError is the *ops.HostDirError of a script that exited
// code saying "msilab: host folder: <problem>" (nil for another error).
func scriptHostDirError(err error, code int) error {
	var xe *ExitError
	if !errors.As(err, &xe) || xe.Code != code {
		return nil
	}
	problem := xe.Stderr
	if _, after, ok := strings.Cut(problem, "msilab: host folder: "); ok {
		problem = after
	}
	return &ops.HostDirError{Path: ops.HostDir, Problem: strings.TrimSpace(problem)}
}
