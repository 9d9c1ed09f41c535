package real

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/migrlab/migrlab/real/agent"
)

// The agents' records (agent.Record) are the second account of a
// migration: the orchestrator's journal is the first, but it lives on the
// operator's machine. When that machine (or the testbed's state directory)
// is lost mid-migration, Recover finds the migration in the records the
// source and target agents keep, and recovers it by the same rules.

// ForeignRecordQuiet is how long the records of a migration run from
// another machine (whose process Recover cannot check) must have gone
// without an update before Recover acts on them: a live orchestrator
// updates them at every round, dump, transfer and restore.
var ForeignRecordQuiet = 15 * time.Minute

// recordsQueryTimeout bounds asking one agent for its records.
const recordsQueryTimeout = 30 * time.Second

// agentMigration is one container's migration as the agents' records tell
// it.
type agentMigration struct {
	id, name string
	// src and dst name the hosts ("" when no record says).
	src, dst string
	origin   agent.Origin
	// updated is the latest update of any of its records.
	updated time.Time
	// seen lists "host: role phase" for messages.
	seen []string
}

// ownerState is what Recover knows about the orchestrator of a migration.
type ownerState int

const (
	// ownerGone: its process no longer runs (or it is unknown and its
	// records have been quiet for ForeignRecordQuiet).
	ownerGone ownerState = iota
	// ownerSelf: this process.
	ownerSelf
	// ownerRunning: a process of this machine that still runs.
	ownerRunning
	// ownerForeign: another machine, whose records were updated lately.
	ownerForeign
)

func (m *agentMigration) owner(now time.Time) ownerState {
	o := m.origin
	switch {
	case o.Orchestrator != "" && o.Orchestrator == orchestratorHost():
		switch {
		case o.PID == os.Getpid():
			return ownerSelf
		case alive(o.PID):
			return ownerRunning
		}
		return ownerGone
	case now.Sub(m.updated) < ForeignRecordQuiet:
		return ownerForeign
	}
	return ownerGone
}

// describe names the migration and its orchestrator for messages.
func (m *agentMigration) describe() string {
	who := "an unknown orchestrator"
	if m.origin.Orchestrator != "" {
		who = fmt.Sprintf("process %d on %s", m.origin.PID, m.origin.Orchestrator)
	}
	return fmt.Sprintf("the migration of %s (%s) %s -> %s by %s (agents' records: %s)", m.name, shortID(m.id),
		orUnknown(m.src), orUnknown(m.dst), who, strings.Join(m.seen, "; "))
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// agentMigrations asks every host's agent for its records and groups them
// by container, oldest first. A host whose agent does not answer is an
// error (its records stay unread), the others are still returned.
func agentMigrations(ctx context.Context, tb *Testbed) ([]*agentMigration, error) {
	byID := map[string]*agentMigration{}
	var errs []error
	for _, h := range tb.Hosts {
		qctx, cancel := context.WithTimeout(ctx, recordsQueryTimeout)
		recs, err := h.Agent.Migrations(qctx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("reading the migration records of %s's agent: %w", h.Name, err))
			continue
		}
		for _, r := range recs {
			m := byID[r.ID]
			if m == nil {
				m = &agentMigration{id: r.ID}
				byID[r.ID] = m
			}
			m.name = firstOf(m.name, r.Name)
			switch r.Role {
			case agent.RoleSource:
				m.src = h.Name
			case agent.RoleTarget:
				m.dst = h.Name
			}
			if r.Origin.Orchestrator != "" && (m.origin.Orchestrator == "" || r.Origin.Started.After(m.origin.Started)) {
				m.origin = r.Origin
			}
			if r.Updated.After(m.updated) {
				m.updated = r.Updated
			}
			phase := r.Phase
			if r.Rounds > 0 {
				phase += fmt.Sprintf(", %d round(s)", r.Rounds)
			}
			m.seen = append(m.seen, fmt.Sprintf("%s: %s, %s", h.Name, r.Role, phase))
		}
	}
	out := make([]*agentMigration, 0, len(byID))
	for _, m := range byID {
		m.src, m.dst = firstOf(m.src, m.origin.Source), firstOf(m.dst, m.origin.Target)
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, errors.Join(errs...)
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// recoverFromAgents recovers the migrations the agents' records hold that
// the journal did not (skip: the container IDs the journal named), by the
// rules of recoverMember.
func recoverFromAgents(ctx context.Context, tb *Testbed, skip map[string]bool, progress func(string, ...any)) ([]Recovered, error) {
	ms, err := agentMigrations(ctx, tb)
	var out []Recovered
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: the migrations those agents took part in were not looked for", err))
	}
	now := time.Now()
	for _, m := range ms {
		if skip[m.id] {
			continue
		}
		switch m.owner(now) {
		case ownerSelf:
			// A migration of this very process ended with its rollback
			// unconfirmed: recover it, as Recover does its journal entry.
		case ownerRunning:
			progress("%s is still running: left alone", m.describe())
			continue
		case ownerForeign:
			progress("%s was active %s ago: left alone (if that machine is lost, run recover again once its records have been quiet for %s)",
				m.describe(), now.Sub(m.updated).Round(time.Second), ForeignRecordQuiet)
			continue
		}
		src, err1 := tb.Host(m.src)
		dst, err2 := tb.Host(m.dst)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: cannot tell its hosts; check them by hand", m.describe(), err))
			continue
		}
		progress("the journal has no entry for %s: recovering it", m.describe())
		mem := journalMember{Name: m.name, ID: m.id, SourceAddr: m.origin.SourceAddr, TargetAddr: m.origin.TargetAddr}
		if err := probeAddrs(ctx, src, dst, &mem); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
			continue
		}
		r, err := recoverMember(ctx, src, dst, mem, progress)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (from the agents' records): %w", m.name, err))
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// probeAddrs fills in the workload's probe addresses the records lacked:
// the hosts' private addresses at the port the container publishes (from
// whichever host has a copy).
func probeAddrs(ctx context.Context, src, dst *Host, m *journalMember) error {
	if m.SourceAddr != "" && m.TargetAddr != "" {
		return nil
	}
	for _, h := range []*Host{src, dst} {
		c, ok, err := h.Agent.Inspect(ctx, m.ID)
		if err == nil && ok && c.HostPort > 0 {
			port := strconv.Itoa(c.HostPort)
			m.SourceAddr, m.TargetAddr = net.JoinHostPort(src.PrivateAddr, port), net.JoinHostPort(dst.PrivateAddr, port)
			return nil
		}
	}
	return errors.New("neither host reports the port its workload publishes (no copy, or an agent that does not answer): " +
		"cannot verify it; check the hosts by hand")
}

// pendingInAgents fails with ErrRecoveryPending when an agent of tb holds
// the record of a migration whose orchestrator is gone (or another
// machine's that is still active): a new run could destroy the copy a
// recovery must keep. Agents that do not answer are not waited for (the
// run fails on them anyway).
func pendingInAgents(ctx context.Context, tb *Testbed) error {
	ms, _ := agentMigrations(ctx, tb)
	now := time.Now()
	for _, m := range ms {
		switch m.owner(now) {
		case ownerSelf, ownerRunning:
			continue
		case ownerForeign:
			return fmt.Errorf("testbed %s: %s was active %s ago: another orchestrator is migrating on this testbed",
				tb.Name, m.describe(), now.Sub(m.updated).Round(time.Second))
		}
		return fmt.Errorf("testbed %s: %w (%s, not in this machine's journal): run `migrlab recover --testbed %s` first",
			tb.Name, ErrRecoveryPending, m.describe(), tb.Name)
	}
	return nil
}
