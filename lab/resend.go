package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/masterzen/winrm"

	"github.com/msilab/msilab/internal/textutil"
	"github.com/msilab/msilab/lab/ops"
)

// Exactly-once batches. A batch sent with an ID (WithBatchID) is recorded
// by the host under that ID before it answers (ops.Request.ID), so when
// its answer is lost (a dropped, reset or truncated connection, a Receive
// or a stdin Send that failed) the session sends it again, with the same
// ID, on a new shell and connection: the host answers the recorded
// response and runs nothing twice. Every send and its error is counted in
// the context's BatchStats, so no retry is silent.

type batchIDKey struct{}
type resendKey struct{}
type batchStatsKey struct{}
type forgetKey struct{}

// WithBatchID returns a context whose next batch carries id (ops.BatchID).
func WithBatchID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, batchIDKey{}, id)
}

// BatchIDFrom is the ID WithBatchID put in ctx ("" for none).
func BatchIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(batchIDKey{}).(string)
	return id
}

// WithBatchIDs returns a context whose batches sent without an ID of
// their own get prefix-1, prefix-2... in the order they are sent.
func WithBatchIDs(ctx context.Context, prefix string) context.Context {
	return context.WithValue(ctx, batchSeqKey{}, &batchSeq{prefix: prefix})
}

type batchSeqKey struct{}

type batchSeq struct {
	mu     sync.Mutex
	prefix string
	n      int
}

// withNextID gives a batch without an ID the next of ctx's WithBatchIDs.
func withNextID(ctx context.Context) context.Context {
	seq, ok := ctx.Value(batchSeqKey{}).(*batchSeq)
	if !ok || BatchIDFrom(ctx) != "" {
		return ctx
	}
	seq.mu.Lock()
	seq.n++
	id := fmt.Sprintf("%s-%d", seq.prefix, seq.n)
	seq.mu.Unlock()
	return WithBatchID(ctx, id)
}

// WithForget returns a context whose batches ask the host to delete the
// records of the batch IDs starting with the prefixes (ops.Request.Forget).
func WithForget(ctx context.Context, prefixes ...string) context.Context {
	return context.WithValue(ctx, forgetKey{}, prefixes)
}

// WithBatchStats returns a context whose batches count their sends in st.
func WithBatchStats(ctx context.Context, st *BatchStats) context.Context {
	return context.WithValue(ctx, batchStatsKey{}, st)
}

// WithResendPolicy returns a context whose batches are resent as pol
// says instead of as DefaultResend does (Sends 1: never).
func WithResendPolicy(ctx context.Context, pol ResendPolicy) context.Context {
	return context.WithValue(ctx, resendKey{}, pol)
}

// resendPolicy is ctx's policy, or DefaultResend.
func resendPolicy(ctx context.Context) ResendPolicy {
	if pol, ok := ctx.Value(resendKey{}).(ResendPolicy); ok && pol.Sends > 0 {
		return pol
	}
	return DefaultResend
}

// BatchStats counts what delivering batches took; it is safe for
// concurrent use.
type BatchStats struct {
	mu sync.Mutex
	c  BatchCounts
}

// BatchCounts are BatchStats' counts.
type BatchCounts struct {
	// Sends is how many times batches were sent; Resends how many of
	// those were resends after a lost or partial answer.
	Sends, Resends int
	// Replayed is how many answers were the host's record of a batch that
	// had run already (a resend whose first send had reached the host).
	Replayed int
	// Errors are the transport errors that caused the resends, and the
	// last one when the resends ran out.
	Errors []string
}

func (st *BatchStats) add(f func(*BatchCounts)) {
	if st == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	f(&st.c)
}

// Snapshot is a copy of the counts.
func (st *BatchStats) Snapshot() BatchCounts {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.c
	c.Errors = append([]string(nil), c.Errors...)
	return c
}

func statsFrom(ctx context.Context) *BatchStats {
	st, _ := ctx.Value(batchStatsKey{}).(*BatchStats)
	return st
}

// ResendPolicy bounds the resends of a batch with an ID.
type ResendPolicy struct {
	// Sends is the most sends of one batch (the first included).
	Sends int
	// Backoff is the wait before the first resend, doubled before each
	// next one up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
}

// DefaultResend is the resend policy of sessions.
var DefaultResend = ResendPolicy{Sends: 6, Backoff: 50 * time.Millisecond, MaxBackoff: 2 * time.Second}

// Resendable reports whether err is a lost or partial answer that a
// resend under the same batch ID may recover: a transport failure, a
// WS-Management fault other than a refusal of the credentials, or a
// response that arrived cut.
func Resendable(err error) bool {
	var (
		unreachable *UnreachableError
		transport   *TransportError
		fault       *WSManFault
		partial     *ops.ResponseError
	)
	return errors.As(err, &unreachable) || errors.As(err, &transport) || errors.As(err, &fault) ||
		errors.As(err, &partial) || errors.Is(err, io.ErrUnexpectedEOF)
}

// sendRecorded runs send (one send of a batch) and resends it while its
// answer is lost, as ctx's policy allows; reconnect opens a new shell and
// connection before each resend. A batch that changes the host and has no
// ID is sent once: the host keeps no record of it, so a resend could apply
// it twice. One that only reads (repeat true), or only forgets records, is
// safe to repeat.
func sendRecorded(ctx context.Context, repeat bool, send func() ([]ops.Result, error), reconnect func() error) ([]ops.Result, error) {
	st, id, pol := statsFrom(ctx), BatchIDFrom(ctx), resendPolicy(ctx)
	once := id == "" && !repeat
	wait := pol.Backoff
	for try := 1; ; try++ {
		st.add(func(s *BatchCounts) {
			s.Sends++
			if try > 1 {
				s.Resends++
			}
		})
		res, err := send()
		if err == nil || once || !Resendable(err) || ctx.Err() != nil {
			return res, err
		}
		st.add(func(s *BatchCounts) { s.Errors = append(s.Errors, textutil.Truncate(err.Error(), 300)) })
		for {
			if try >= pol.Sends {
				return nil, fmt.Errorf("batch %q: %d sends, no complete answer: %w", id, try, err)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, err
			case <-t.C:
			}
			wait = min(2*wait, pol.MaxBackoff)
			rerr := reconnect()
			if rerr == nil {
				break
			}
			// A reconnect that fails counts as a send that failed.
			st.add(func(s *BatchCounts) { s.Errors = append(s.Errors, "reconnect: "+textutil.Truncate(rerr.Error(), 300)) })
			if !Resendable(rerr) {
				return nil, fmt.Errorf("batch %q: no new shell to resend on: %w", id, rerr)
			}
			err = rerr
			try++
		}
	}
}

// uploadResent uploads data to dst, again while the answer is lost, as
// ctx's policy allows (counted in its BatchStats): an upload is staged and
// checked by hash before it takes its place, so it is safe to repeat.
func uploadResent(ctx context.Context, s Session, data []byte, dst string) (*FileInfo, error) {
	st, pol := statsFrom(ctx), resendPolicy(ctx)
	wait := pol.Backoff
	for try := 1; ; try++ {
		st.add(func(c *BatchCounts) {
			c.Sends++
			if try > 1 {
				c.Resends++
			}
		})
		info, err := s.Upload(ctx, bytes.NewReader(data), dst)
		if err == nil || !Resendable(err) || ctx.Err() != nil {
			return info, err
		}
		st.add(func(c *BatchCounts) { c.Errors = append(c.Errors, textutil.Truncate(err.Error(), 300)) })
		if try >= pol.Sends {
			return nil, fmt.Errorf("%d uploads, none answered: %w", try, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		wait = min(2*wait, pol.MaxBackoff)
	}
}

// noteReplayed counts a batch answer that was the host's record.
func noteReplayed(ctx context.Context, stdout []byte) {
	var resp struct {
		Batch *ops.BatchStatus `json:"batch"`
	}
	if json.Unmarshal(stdout, &resp) == nil && resp.Batch != nil && resp.Batch.Replayed {
		statsFrom(ctx).add(func(s *BatchCounts) { s.Replayed++ })
	}
}

// reconnect opens a new shell on a new client and new connections: a
// command left running on the old ones (whose input's end may be lost)
// keeps its Receives there. The old shell is kept until the batch is
// answered (dropStale): the batch may still run in it, and the resend
// waits for it on the host.
func (s *winrmSession) reconnect() error {
	tr, err := newTransport(s.ep)
	if err != nil {
		return err
	}
	params := winrm.NewParameters(isoDuration(s.ep.OperationTimeout.Seconds()), "en-US", envelopeSize)
	params.TransportDecorator = func() winrm.Transporter { return tr }
	client, err := winrm.NewClientWithParameters(&winrm.Endpoint{Host: s.ep.Host, Port: s.ep.Port, HTTPS: s.ep.HTTPS}, s.ep.User, s.ep.Password, params)
	if err != nil {
		return fmt.Errorf("lab: winrm client: %w", err)
	}
	sh, err := client.CreateShell()
	if err != nil {
		tr.closeIdle()
		return err
	}
	s.stale, s.staleTr = append(s.stale, s.shell), append(s.staleTr, s.tr)
	s.shell, s.client, s.tr = sh, client, tr
	return nil
}

// dropStale deletes the shells that resends left; one the host does not
// answer for expires there (its idle timeout).
func (s *winrmSession) dropStale() {
	for _, sh := range s.stale {
		_ = sh.Close()
	}
	for _, tr := range s.staleTr {
		tr.closeIdle()
	}
	s.stale, s.staleTr = nil, nil
}
