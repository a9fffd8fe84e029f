package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// trailGuard is one of the guards the trail's migrations make: a trigger
// that refuses changes, or on PostgreSQL a function such triggers call.
type trailGuard struct {
	name  string
	table string // a trigger's table; "" for a function
	stmt  string // the statement that makes it, as the migration has it
	body  string // a function's body, between its $$ quotes
}

var (
	guardTriggerRE  = regexp.MustCompile(`(?is)^CREATE\s+TRIGGER\s+(\w+)\s.*?\sON\s+(\w+)\s`)
	guardFunctionRE = regexp.MustCompile(`(?is)^CREATE\s+FUNCTION\s+(\w+)\s*\(`)
)

// trailGuards reads the guards out of the migrations, so that what is
// checked and restored is exactly what the migrations made.
func trailGuards(dialect string) ([]trailGuard, error) {
	ms, err := loadTrailMigrations(trailFS, dialect)
	if err != nil {
		return nil, err
	}
	var out []trailGuard
	for _, m := range ms {
		for _, s := range m.stmts {
			s = strings.TrimSpace(s)
			if g := guardTriggerRE.FindStringSubmatch(s); g != nil {
				out = append(out, trailGuard{name: g[1], table: g[2], stmt: s})
			} else if g := guardFunctionRE.FindStringSubmatch(s); g != nil {
				_, body, _ := strings.Cut(s, "$$")
				body, _, _ = strings.Cut(body, "$$")
				out = append(out, trailGuard{name: g[1], stmt: s, body: body})
			}
		}
	}
	return out, nil
}

// GuardProblem is a guard that is not as the migrations made it.
type GuardProblem struct {
	Name string
	// Trigger says it is a trigger; otherwise it is a function that
	// triggers call.
	Trigger bool
	// Was is what was wrong: "missing", "disabled" or "changed".
	Was string
}

func (p GuardProblem) String() string {
	what := "trigger"
	if !p.Trigger {
		what = "function"
	}
	switch p.Was {
	case "missing":
		return fmt.Sprintf("the %s %s, which refuses changes to the trail, was removed from the database", what, p.Name)
	case "disabled":
		return fmt.Sprintf("the %s %s, which refuses changes to the trail, was disabled", what, p.Name)
	}
	return fmt.Sprintf("the %s %s, which refuses changes to the trail, was changed", what, p.Name)
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// CheckGuards reports every guard that is missing, disabled or changed.
func (t *Trail) CheckGuards(ctx context.Context) ([]GuardProblem, error) {
	gs, err := trailGuards(t.dialect)
	if err != nil {
		return nil, err
	}
	bad, err := t.guardProblems(ctx, t.r, gs)
	if err != nil {
		return nil, err
	}
	var out []GuardProblem
	for _, b := range bad {
		out = append(out, b.problem)
	}
	return out, nil
}

// RestoreGuards puts back every guard that is missing, disabled or
// changed, as the migrations made it, and reports what it restored. The
// account needs the right to make triggers (as it did to migrate).
func (t *Trail) RestoreGuards(ctx context.Context) ([]GuardProblem, error) {
	gs, err := trailGuards(t.dialect)
	if err != nil {
		return nil, err
	}
	var out []GuardProblem
	err = t.inTx(ctx, func(tx *sql.Tx) error {
		if t.dialect == dialectPostgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(trailMigrationLock)); err != nil {
				return err
			}
		}
		bad, err := t.guardProblems(ctx, tx, gs)
		if err != nil {
			return err
		}
		// Functions before the triggers that call them.
		sort.SliceStable(bad, func(i, j int) bool { return !bad[i].problem.Trigger && bad[j].problem.Trigger })
		for _, b := range bad {
			var stmts []string
			switch {
			case !b.problem.Trigger:
				stmts = []string{guardFunctionRE.ReplaceAllString(b.guard.stmt, "CREATE OR REPLACE FUNCTION $1(")}
			case t.dialect == dialectPostgres:
				stmts = []string{`DROP TRIGGER IF EXISTS ` + b.guard.name + ` ON ` + b.guard.table, b.guard.stmt}
			default:
				stmts = []string{`DROP TRIGGER IF EXISTS ` + b.guard.name, b.guard.stmt}
			}
			for _, s := range stmts {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("%s: %w", b.guard.name, err)
				}
			}
			out = append(out, b.problem)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("restore audit guards", err)
	}
	return out, nil
}

type badGuard struct {
	guard   trailGuard
	problem GuardProblem
}

func (t *Trail) guardProblems(ctx context.Context, q queryer, gs []trailGuard) ([]badGuard, error) {
	type found struct{ def, state string }
	have := map[string]found{}
	read := func(query string) error {
		rows, err := q.QueryContext(ctx, query)
		if err != nil {
			return wrap("list audit guards", err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, def, state string
			if err := rows.Scan(&name, &def, &state); err != nil {
				return wrap("list audit guards", err)
			}
			have[name] = found{def, state}
		}
		return wrap("list audit guards", rows.Err())
	}
	if t.dialect == dialectPostgres {
		// tgenabled 'D' is a trigger switched off with ALTER TABLE ...
		// DISABLE TRIGGER, which leaves it listed.
		err := read(`SELECT t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text FROM pg_trigger t
			WHERE NOT t.tgisinternal AND t.tgrelid IN ('records'::regclass, 'checkpoints'::regclass, 'witness'::regclass)`)
		if err == nil {
			err = read(`SELECT p.proname, p.prosrc, 'O' FROM pg_proc p
				WHERE p.pronamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'records'::regclass)`)
		}
		if err != nil {
			return nil, err
		}
	} else if err := read(`SELECT name, COALESCE(sql, ''), 'O' FROM sqlite_master WHERE type = 'trigger'`); err != nil {
		return nil, err
	}
	var out []badGuard
	for _, g := range gs {
		f, ok := have[g.name]
		p := GuardProblem{Name: g.name, Trigger: g.table != ""}
		switch {
		case !ok:
			p.Was = "missing"
		case f.state == "D":
			p.Was = "disabled"
		case !p.Trigger && f.def != g.body,
			p.Trigger && t.dialect == dialectSQLite && squash(f.def) != squash(g.stmt),
			p.Trigger && t.dialect == dialectPostgres && triggerShape(f.def) != triggerShape(g.stmt):
			p.Was = "changed"
		default:
			continue
		}
		out = append(out, badGuard{g, p})
	}
	return out, nil
}

// squash collapses runs of white space, which SQLite may keep or not as
// it stores a statement's text.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// triggerShape is what a PostgreSQL trigger does, from its statement or
// from pg_get_triggerdef, which words it differently: its events, whether
// per row, and the function it calls.
func triggerShape(def string) string {
	u := strings.ToUpper(squash(def))
	head, _, _ := strings.Cut(u, " ON ")
	var b strings.Builder
	for _, w := range []string{"BEFORE", "AFTER", "INSERT", "UPDATE", "DELETE", "TRUNCATE"} {
		if strings.Contains(head, " "+w) {
			b.WriteString(w + " ")
		}
	}
	if strings.Contains(u, "FOR EACH ROW") {
		b.WriteString("ROW ")
	}
	_, fn, _ := strings.Cut(u, "EXECUTE FUNCTION ")
	if fn == "" {
		_, fn, _ = strings.Cut(u, "EXECUTE PROCEDURE ")
	}
	// A function named with its schema is the same function.
	if i := strings.LastIndex(fn, "."); i >= 0 && i < strings.Index(fn, "(") {
		fn = fn[i+1:]
	}
	return b.String() + fn
}

// AuditGuards lists the guard triggers the trail's tables have, switched
// on.
func (t *Trail) AuditGuards(ctx context.Context) ([]string, error) {
	names := t.AuditGuardNames()
	bad, err := t.CheckGuards(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		ok := true
		for _, b := range bad {
			ok = ok && !(b.Trigger && b.Name == n && b.Was != "changed")
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// AuditGuardNames are the triggers the migrations make on this engine.
func (t *Trail) AuditGuardNames() []string {
	gs, _ := trailGuards(t.dialect)
	var out []string
	for _, g := range gs {
		if g.table != "" {
			out = append(out, g.name)
		}
	}
	sort.Strings(out)
	return out
}

// PutWitness keeps a copy of checkpoint c of another trail, when this
// database serves as that trail's witness. A copy of the same number
// already there stays: copies are never changed.
func (t *Trail) PutWitness(ctx context.Context, c AuditCheckpoint) error {
	_, err := t.w.ExecContext(ctx, `INSERT INTO witness (`+checkpointCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (n) DO NOTHING`,
		c.N, c.Seq, c.Hash, micros(c.At), c.StartSeq, c.StartPrev, c.FirstCheckpoint, c.Kind, c.Prev, c.KeyID, c.Signature, c.Acknowledges)
	return wrap("write audit witness", err)
}

// NewestWitness is the newest checkpoint this database witnesses, or nil.
func (t *Trail) NewestWitness(ctx context.Context) (*AuditCheckpoint, error) {
	c, err := scanCheckpoint(t.r.QueryRowContext(ctx, `SELECT `+checkpointCols+` FROM witness ORDER BY n DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("read audit witness", err)
	}
	return &c, nil
}
