package lab_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
)

// gated is a session to a simulated host through a testlab.Gate.
func gated(t *testing.T) (*sim.Server, *testlab.Gate, lab.Session) {
	t.Helper()
	srv := startSim(t, sim.Options{})
	g := testlab.NewGate(srv.URL())
	front := httptest.NewServer(g)
	t.Cleanup(front.Close)
	u, _ := url.Parse(front.URL)
	port, _ := strconv.Atoi(u.Port())
	s := dial(t, lab.Endpoint{Host: u.Hostname(), Port: port, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true})
	return srv, g, s
}

func createFile(path, content string) ops.Op {
	return ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: path, Type: "file", Content: []byte(content)})
}

// A batch with an ID whose answer is lost after the host ran it is
// resent on a new shell and answered from the host's record: it ran once,
// and the resend, the replay and the error are counted. Without an ID the
// same loss is an error, sent once.
func TestLostAnswerIsResentUnderItsID(t *testing.T) {
	srv, g, s := gated(t)
	if _, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpHostInfo, nil)}); err != nil { // the module installed
		t.Fatal(err)
	}
	g.LoseAnswerWhen(testlab.StdinHas("resend-one"))
	var st lab.BatchStats
	ctx := lab.WithBatchStats(lab.WithBatchID(context.Background(), "run1_cell_s0_a1"), &st)
	res, err := s.RunBatch(ctx, []ops.Op{createFile(`C:\ProgramData\resend-one.txt`, "x")})
	if err != nil {
		t.Fatal(err)
	}
	var created ops.PathCreated
	if err := res[0].Decode(&created); err != nil || len(created.Created) != 1 {
		t.Errorf("result %+v, %v: want the first run's (the file created)", created, err)
	}
	got := st.Snapshot()
	if g.Lost() != 1 || got.Sends != 2 || got.Resends != 1 || got.Replayed != 1 || len(got.Errors) != 1 {
		t.Errorf("lost %d; stats %+v: want 2 sends, 1 resend, 1 replayed, the error listed", g.Lost(), got)
	}
	if n := srv.Host().BatchRuns()["run1_cell_s0_a1"]; n != 1 {
		t.Errorf("the batch ran %d times on the host", n)
	}

	g.LoseAnswerWhen(testlab.StdinHas("resend-two"))
	var st2 lab.BatchStats
	_, err = s.RunBatch(lab.WithBatchStats(context.Background(), &st2), []ops.Op{createFile(`C:\ProgramData\resend-two.txt`, "x")})
	var te *lab.TransportError
	if !errors.As(err, &te) || st2.Snapshot().Sends != 1 {
		t.Errorf("without an ID: %v after %d sends, want a transport error after 1", err, st2.Snapshot().Sends)
	}
}

// A resend is answered from the record until the run forgets it; after
// that the same ID runs again (so BatchRuns can tell).
func TestBatchRecordReplayAndForget(t *testing.T) {
	srv := startSim(t, sim.Options{})
	s := dial(t, endpointOf(srv, lab.AuthBasic))
	var st lab.BatchStats
	ctx := lab.WithBatchStats(lab.WithBatchID(context.Background(), "runA_c_s1_a1"), &st)
	batch := []ops.Op{createFile(`C:\ProgramData\replay.txt`, "one")}
	first, err := s.RunBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	batch = []ops.Op{createFile(`C:\ProgramData\replay.txt`, "two")} // the same ID: not run
	again, err := s.RunBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if string(first[0].Value) != string(again[0].Value) || st.Snapshot().Replayed != 1 {
		t.Errorf("replay %s vs %s, replayed %d", again[0].Value, first[0].Value, st.Snapshot().Replayed)
	}
	if ids := srv.Host().BatchRecords(); len(ids) != 1 || ids[0] != "runA_c_s1_a1" {
		t.Errorf("records %v", ids)
	}
	if _, err := s.RunBatch(lab.WithForget(context.Background(), "runA_"), nil); err != nil {
		t.Fatal(err)
	}
	if ids := srv.Host().BatchRecords(); len(ids) != 0 {
		t.Errorf("records %v after forgetting the run", ids)
	}
	if _, err := s.RunBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := srv.Host().BatchRuns()["runA_c_s1_a1"]; n != 2 {
		t.Errorf("ran %d times: a forgotten ID runs again", n)
	}
}

// A batch whose earlier send started and never finished (its process
// killed: a started marker, no record) is answered interrupted, and
// nothing runs.
func TestInterruptedBatchIsReported(t *testing.T) {
	srv := startSim(t, sim.Options{})
	s := dial(t, endpointOf(srv, lab.AuthBasic))
	const id = "runB_c_s0_a1"
	if _, err := s.RunBatch(lab.WithBatchID(context.Background(), "runB_setup"), nil); err != nil { // makes the records' folder
		t.Fatal(err)
	}
	res, err := s.RunBatch(context.Background(), []ops.Op{createFile(ops.BatchDir+`\`+id+".started", "")})
	if err != nil || res[0].Decode(nil) != nil {
		t.Fatalf("marker: %v %v", err, res)
	}
	_, err = s.RunBatch(lab.WithBatchID(context.Background(), id), []ops.Op{createFile(`C:\ProgramData\never.txt`, "x")})
	var ie *ops.BatchInterruptedError
	if !errors.As(err, &ie) || ie.ID != id {
		t.Fatalf("error %v, want the batch reported interrupted", err)
	}
	if n := srv.Host().BatchRuns()[id]; n != 0 {
		t.Errorf("an interrupted batch ran again (%d)", n)
	}
}

// An ID that could name a file outside the records' folder is refused
// before anything is sent.
func TestBadBatchIDIsRefused(t *testing.T) {
	srv := startSim(t, sim.Options{})
	s := dial(t, endpointOf(srv, lab.AuthBasic))
	for _, id := range []string{`..\x`, "a/b", "a..b", ".x", strings.Repeat("a", 151)} {
		if _, err := s.RunBatch(lab.WithBatchID(context.Background(), id), []ops.Op{createFile(`C:\ProgramData\bad.txt`, "")}); err == nil ||
			!strings.Contains(err.Error(), "batch ID") {
			t.Errorf("ID %q: %v", id, err)
		}
	}
	if n := len(srv.Host().BatchRuns()); n != 0 {
		t.Errorf("%d batches ran", n)
	}
}

// Resends are bounded: a host that answers nothing gets the policy's
// sends, and the error says so.
func TestResendsAreBounded(t *testing.T) {
	_, g, s := gated(t)
	g.DropNext(1000)
	var st lab.BatchStats
	ctx := lab.WithResendPolicy(lab.WithBatchStats(lab.WithBatchID(context.Background(), "runC_c_s0_a1"), &st),
		lab.ResendPolicy{Sends: 3, Backoff: time.Millisecond, MaxBackoff: time.Millisecond})
	_, err := s.RunBatch(ctx, []ops.Op{createFile(`C:\ProgramData\bounded.txt`, "")})
	if err == nil || !strings.Contains(err.Error(), "3 sends") && !strings.Contains(err.Error(), "no new shell") {
		t.Errorf("error %v, want the bound reached", err)
	}
	if got := st.Snapshot(); got.Sends < 1 || got.Sends > 3 || len(got.Errors) != 3 {
		t.Errorf("stats %+v: want at most 3 sends and 3 errors listed", got)
	}
}
