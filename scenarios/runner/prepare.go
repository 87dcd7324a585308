package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/msilab/msilab/doctor"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msi"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/testpkgs"
)

// pkgInfo is a package the run installs.
type pkgInfo struct {
	data        []byte
	remote      string // its path on the hosts
	sha256      string
	productCode string
	perMachine  bool // ALLUSERS=1: removed as the elevated admin
}

// loadPackages reads every package the cells use: a built-in test package
// by name, or an .msi path relative to the scenario file.
func (r *run) loadPackages(cells []scenarios.Cell) error {
	for _, c := range cells {
		name := c.Scenario.Package
		if _, ok := r.packages[name]; ok {
			continue
		}
		data, base, err := readPackage(c.Scenario)
		if err != nil {
			return err
		}
		db, err := msi.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return fmt.Errorf("runner: scenario %s: package %s: %w", c.Scenario.Name, name, err)
		}
		sum := sha256.Sum256(data)
		r.packages[name] = &pkgInfo{data: data, remote: lab.PackageDir + `\` + base,
			sha256: strings.ToUpper(hex.EncodeToString(sum[:])), productCode: db.ProductCode(), perMachine: db.AllUsers() == "1"}
	}
	return nil
}

func readPackage(sc *scenarios.Scenario) ([]byte, string, error) {
	if data, err := testpkgs.Bytes(sc.Package); err == nil {
		return data, sc.Package + ".msi", nil
	}
	path := sc.Package
	if !filepath.IsAbs(path) && sc.File != "" && !strings.HasPrefix(sc.File, "builtin:") {
		path = filepath.Join(filepath.Dir(sc.File), path)
	}
	name, err := lab.PackageName(path)
	if err != nil {
		return nil, "", fmt.Errorf("runner: scenario %s: package: %w", sc.Name, err)
	}
	data, err := msi.ReadFile(path) // a regular file, bounded: never a FIFO or /dev/zero
	if err != nil {
		return nil, "", fmt.Errorf("runner: scenario %s: package: %w", sc.Name, err)
	}
	return data, name, nil
}

// prepare readies each host the cells need, once per run and in parallel:
// the lab's standard user, the packages (uploaded only when the host's
// copy differs), host.info for the records, then the clean snapshot.
func (r *run) prepare(ctx context.Context, cells []scenarios.Cell) {
	need := map[string]bool{}
	for _, c := range cells {
		need[c.Host.OS] = true
	}
	var wg sync.WaitGroup
	for _, h := range r.pool.Hosts() {
		if !need[h.Spec.OS] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			hi := &hostInfo{}
			var n int
			hi.info, hi.simulated, hi.logons, n, hi.err = r.prepareHost(ctx, h)
			var refusal *doctor.HostError
			// Hosts shared with other processes (Ginkgo's -p: lock files)
			// may be mid-cell for another process, faults injected: the
			// preflight is then for msilab doctor to make beforehand.
			if hi.err == nil && !r.opts.SkipPreflight && r.pool.LockDir == "" {
				refusal = r.preflight(ctx, h)
			}
			r.mu.Lock()
			r.hosts[h] = hi
			r.prepCommands += n
			if r.usable == nil {
				r.usable, r.refused = map[string]int{}, map[string][]string{}
			}
			if refusal != nil {
				r.refused[h.Spec.OS] = append(r.refused[h.Spec.OS], refusal.Error())
			} else {
				r.usable[h.Spec.OS]++
			}
			r.mu.Unlock()
		}()
	}
	wg.Wait()
}

// preflight runs msilab doctor's checks on a prepared host; a host that
// fails them is taken out of the pool, and the refusal said once.
func (r *run) preflight(ctx context.Context, h *lab.Host) *doctor.HostError {
	rows := doctor.Check(ctx, h, doctor.Options{})
	if !doctor.AnyFailed(rows) {
		return nil
	}
	e := &doctor.HostError{Host: h.Spec.Name, Failures: doctor.Failures(rows)}
	if r.pool.Remove(h) {
		r.mu.Lock()
		r.removed = append(r.removed, h)
		r.mu.Unlock()
	}
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "msilab: refusing %s (run msilab doctor for the fixes)\n", e)
	}
	return e
}

// giveBack returns the refused hosts to the pool when the run ends (the
// pool may serve another run).
func (r *run) giveBack() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range r.removed {
		r.pool.Release(h)
	}
	r.removed = nil
}

// refusal is why no host of the OS profile can run cells ("" when one can).
func (r *run) refusal(os string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.usable == nil || r.usable[os] > 0 || len(r.refused[os]) == 0 {
		return ""
	}
	return "no host of " + os + " passed the preflight: " + strings.Join(r.refused[os], "; ")
}

// prepareHost readies one host. The lab's standard user is ensured and
// logged on interactively once (user.logon, which creates its profile):
// a user who may not log on locally fails the host, naming the right.
func (r *run) prepareHost(ctx context.Context, h *lab.Host) (ops.HostInfo, bool, []ops.Logon, int, error) {
	var info ops.HostInfo
	s, err := h.Session(ctx)
	if err != nil {
		return info, false, nil, 0, err
	}
	base := ctx
	// Its batches, the snapshot restore first, are resent when their
	// answer is lost, and run once; their records go before the clean
	// state is saved.
	prefix := ops.BatchID(r.journal.Run(), "prepare "+h.Spec.Name, fmt.Sprintf("p%d", r.nextSeq()), 0)
	ctx = lab.WithBatchStats(lab.WithBatchIDs(ctx, prefix), &r.prepStats)
	// A simulated host saves its own clean state below: go back to the
	// one an earlier run saved, if any.
	if h.Spec.Snapshot.Driver == "sim" {
		if _, err := h.Revert(ctx); err != nil && !errors.Is(err, lab.ErrNoSnapshot) {
			return info, false, nil, 0, err
		}
	}
	password, err := StandardPassword(h.Spec)
	if err != nil {
		return info, false, nil, 0, err
	}
	logons := []ops.Logon{{User: h.Endpoint.User, Password: h.Endpoint.Password},
		{User: h.Spec.StandardUser, Password: password}}
	ctx = lab.WithLogons(ctx, logons...)
	infoOp, _ := ops.New(ops.OpHostInfo, nil)
	userOp, _ := ops.New(ops.OpUserEnsure, ops.UserEnsureArgs{Name: h.Spec.StandardUser, Password: password})
	logonOp, _ := ops.New(ops.OpUserLogon, ops.UserLogonArgs{Name: h.Spec.StandardUser})
	out, err := s.RunBatch(ctx, []ops.Op{infoOp, userOp, logonOp})
	n := 1
	if err != nil {
		return info, false, nil, n, err
	}
	if err := out[0].Decode(&info); err != nil {
		return info, false, nil, n, err
	}
	if err := out[1].Decode(nil); err != nil {
		if errors.Is(err, &ops.Error{Code: ops.CodeConflict}) {
			// user.ensure refuses the connecting account and any
			// administrator: lab.yaml cannot tell the latter.
			return info, false, nil, n, fmt.Errorf("standard_user %q (lab.yaml) is an administrator on the host, or the account msilab connects with: msilab resets its password, so it must be a separate non-administrator account (remove it from Administrators or name another): %w", h.Spec.StandardUser, err)
		}
		return info, false, nil, n, fmt.Errorf("lab user %s: %w", h.Spec.StandardUser, err)
	}
	var logon ops.UserLogon
	if err := out[2].Decode(&logon); err != nil {
		return info, false, nil, n, fmt.Errorf("lab user %s: %w", h.Spec.StandardUser, err)
	}
	if !logon.OK {
		return info, false, nil, n, fmt.Errorf("lab user: %s", logon.Problem())
	}
	for _, name := range sortedKeys(r.packages) {
		p := r.packages[name]
		_, uploaded, err := lab.EnsureFile(ctx, s, p.data, p.remote)
		n++
		if uploaded {
			n++
		}
		if err != nil {
			return info, false, nil, n, fmt.Errorf("package %s: %w", name, err)
		}
	}
	if _, err := s.RunBatch(lab.WithForget(base, prefix), nil); err != nil {
		return info, false, nil, n, err
	}
	if err := h.SaveClean(base); err != nil {
		return info, false, nil, n, err
	}
	return info, info.Profile != "", logons, n, nil
}

// StandardPassword is the lab user's password: from the inventory's
// variable, or a fresh random one, which the caller sets with user.ensure
// (the standard-user context logs on with it; it travels in the batches'
// logons, never in a recorded op, and msilab keeps it nowhere).
func StandardPassword(spec lab.HostSpec) (string, error) {
	if spec.StandardPasswordEnv != "" {
		if pw := os.Getenv(spec.StandardPasswordEnv); pw != "" {
			return pw, nil
		}
		return "", fmt.Errorf("host %s: environment variable %s is not set", spec.Name, spec.StandardPasswordEnv)
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "Lab-" + hex.EncodeToString(b) + "!", nil
}

// prepareAgain prepares a host whose preparation failed, as a retry does.
func (r *run) prepareAgain(ctx context.Context, h *lab.Host) *hostInfo {
	h.Reset()
	hi := &hostInfo{}
	var n int
	hi.info, hi.simulated, hi.logons, n, hi.err = r.prepareHost(ctx, h)
	r.mu.Lock()
	r.hosts[h] = hi
	r.prepCommands += n
	r.mu.Unlock()
	return hi
}

// restock prepares a host again after a snapshot revert that took it back
// to before its preparation (the lab user and the packages are ensured,
// so a snapshot that already has them costs only their checks).
func (r *run) restock(ctx context.Context, h *lab.Host) error {
	hi := &hostInfo{}
	var n int
	hi.info, hi.simulated, hi.logons, n, hi.err = r.prepareHost(ctx, h)
	r.mu.Lock()
	r.hosts[h] = hi
	r.prepCommands += n
	r.mu.Unlock()
	return hi.err
}

func (r *run) hostInfo(h *lab.Host) *hostInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	if hi, ok := r.hosts[h]; ok {
		return hi
	}
	return &hostInfo{err: fmt.Errorf("not prepared")}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string)              { sort.Strings(s) }
func errorsAs(err error, target any) bool { return errors.As(err, target) }
