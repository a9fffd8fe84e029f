package testkit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// directAuditWriters are the only files that write to the audit trail
// straight, rather than through a change's transaction (store.Update's
// tx.Log, drained by audit.Outbox): each records an event that changes
// nothing in the main database, written before the thing happens so that
// it is refused when it cannot be recorded. A change written to the trail
// apart from its transaction could leave a change without its record, or
// a record of a change that never happened; so a new direct writer fails
// TestAuditWritersAreEvents until it is added here with its reason.
var directAuditWriters = map[string]string{
	"internal/web/signin.go":     "failed sign-ins and lock-outs, and the helper for them (auditTo)",
	"internal/web/oidc.go":       "a refused single sign-on",
	"internal/web/footage.go":    "the trail the footage service writes its events to (trailEvents)",
	"internal/web/api/audit.go":  "the helpers below (audit, auditEntry, auditLogged), and the trail's own CSV export",
	"internal/web/api/live.go":   "a live view begun or ended",
	"internal/web/api/livews.go": "a live view begun over a WebSocket",
	// The footage service writes to the trail it is given (web's
	// trailEvents) and refuses the footage when it cannot.
	"internal/footage/service.go": "footage played or exported, before a byte is sent",
	"internal/bench/audit.go":     "the benchmark of the trail itself",
}

// auditWriteCalls are the calls that write to the trail directly: the
// trail's own methods, and web's helpers over them.
var auditWriteCalls = []string{"Append", "AppendBatch", "audit", "auditEntry", "auditTo", "auditLogged"}

// TestAuditWritersAreEvents fails when a file outside directAuditWriters
// writes to the audit trail directly.
func TestAuditWritersAreEvents(t *testing.T) {
	root := moduleRootDir(t)
	seen := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "testkit") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "internal/audit/") {
			return nil // the trail itself
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !slices.Contains(auditWriteCalls, sel.Sel.Name) {
				return true
			}
			recv := strings.ToLower(exprText(sel.X))
			if sel.Sel.Name == "Append" || sel.Sel.Name == "AppendBatch" {
				// Only the trail's Append: other types have one too.
				if !strings.Contains(recv, "audit") && !strings.Contains(recv, "trail") && recv != "tr" {
					return true
				}
			} else if recv != "s" && recv != "l.s" {
				return true
			}
			seen[rel] = true
			if _, ok := directAuditWriters[rel]; !ok {
				t.Errorf("%s:%d: writes to the audit trail directly (%s.%s); a change's record goes in its transaction (tx.Log), or add the file to directAuditWriters with the event it records",
					rel, fset.Position(call.Pos()).Line, exprText(sel.X), sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A file that no longer writes directly leaves the list, so that it
	// cannot start again unnoticed.
	for f := range directAuditWriters {
		if !seen[f] {
			t.Errorf("%s: in directAuditWriters but writes nothing to the trail directly; remove it from the list", f)
		}
	}
}

// exprText is a selector's receiver as written, for the simple forms.
func exprText(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return exprText(x.X) + "." + x.Sel.Name
	case *ast.CallExpr:
		return exprText(x.Fun) + "()"
	}
	return ""
}

// moduleRootDir is the module's root: tests run in their package's folder.
func moduleRootDir(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}
