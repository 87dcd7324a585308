package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/msilab/msilab/lab"
)

// exitCodeError carries a remote command's non-zero exit code to main.
type exitCodeError struct{ code int }

func (e *exitCodeError) Error() string {
	return fmt.Sprintf("remote command exited with code %d", e.code)
}

func execCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: msilab exec [flags] COMMAND LINE...   run a cmd.exe command line on a host")
		fs.PrintDefaults()
	}
	var ef endpointFlags
	ef.register(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("msilab exec needs a command line")
	}
	s, err := ef.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.Run(ctx, lab.Command{Line: strings.Join(fs.Args(), " "), Stdout: stdout, Stderr: stderr})
	var ee *lab.ExitError
	if errors.As(err, &ee) {
		return &exitCodeError{ee.Code}
	}
	return err
}
