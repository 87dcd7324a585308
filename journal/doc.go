// Package journal holds the undo records of a run (journal.jsonl): before
// a cell changes a host, the runner appends what will undo the change (a
// fault's probe, an installed product, a fix's undo ops), synced to disk;
// a done line closes the cell. After a crash, `msilab revert --journal`
// reads the cells left open and builds the batch that puts each host back
// (RevertOps) and judges its results (CheckRevert).
package journal
