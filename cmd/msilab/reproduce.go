package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msilab/msilab/internal/fileutil"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/scenarios/reproduce"
	"github.com/msilab/msilab/win"
)

// readRaw reads what --log names ("-" is stdin) whole, as the bundle
// keeps a copy of it: a regular file of at most maxLogSize bytes.
func readRaw(ctx context.Context, path string) ([]byte, string, error) {
	name := path
	var r io.Reader
	if path == "-" {
		name, r = "stdin", stdin
	} else {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, "", fmt.Errorf("read log: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, "", usagef("--log %s is not a regular file (a %s): give the file msiexec /L*v wrote, or - for stdin", path, fileutil.Kind(fi.Mode()))
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, "", fmt.Errorf("read log: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := readChunks(ctx, r, maxLogSize)
	if errors.Is(err, errLogTooLarge) {
		return nil, "", fmt.Errorf("%w: %s is more than the %d MiB msilab reads: give the part around the failure", errLogTooLarge, name, maxLogSize>>20)
	}
	if err != nil {
		return nil, "", fmt.Errorf("read log: %w", err)
	}
	return data, name, nil
}

// reproduceFlags are diagnose's --reproduce flags.
type reproduceFlags struct {
	on       bool
	lab, out string
}

// diagnoseReproduce is msilab diagnose --log FILE --reproduce.
func diagnoseReproduce(ctx context.Context, rf reproduceFlags, logFile, format string, stdout io.Writer) error {
	raw, name, err := readRaw(ctx, logFile)
	if err != nil {
		return err
	}
	lg, err := msilog.Parse(ctx, bytes.NewReader(raw), msilog.Options{MaxBytes: maxLogSize})
	var nl *msilog.NotLogError
	switch {
	case errors.As(err, &nl):
		return fmt.Errorf("%s is not a Windows Installer log: %s", name, nl.Why)
	case err != nil:
		return fmt.Errorf("read log %s: %w", name, err)
	}
	recipe := []string{"msilab", "diagnose", "--log", reproduce.InputFile(name), "--reproduce", "--out", "rerun"}
	if rf.lab != "" {
		recipe = append(recipe, "--lab", rf.lab)
	}
	if format == "json" {
		recipe = append(recipe, "--format", "json")
	}
	opt := reproduce.Options{Input: lg, Raw: raw, Name: name, Out: rf.out, ToolVersion: version,
		Recipe: strings.Join(recipe, " ")}
	if rf.lab != "" {
		inv, err := lab.LoadInventory(rf.lab, win.ProfileNames())
		if err != nil {
			return err
		}
		opt.Profiles = []string{}
		for _, h := range inv.Hosts {
			if !contains(opt.Profiles, h.OS) {
				opt.Profiles = append(opt.Profiles, h.OS)
			}
		}
		opt.Open = func(os string) (*lab.Pool, string, func(), error) { return openLab(rf.lab, []string{os}, nil) }
	}
	rep, err := reproduce.Run(ctx, opt)
	if rep == nil || errors.Is(err, reproduce.ErrNoCause) || errors.Is(err, reproduce.ErrNotMSI) {
		return err
	}
	if format == "json" {
		if jerr := writeJSON(stdout, rep); jerr != nil {
			return jerr
		}
	} else {
		reproduce.Markdown(stdout, rep)
		fmt.Fprintf(stdout, "\nbundle: %s (comparison.md, comparison.json, recipe.txt, the input, each run's evidence)\n", rf.out)
	}
	if err != nil {
		return err
	}
	if !rep.Match() {
		return &exitCodeError{code: 1}
	}
	return nil
}
