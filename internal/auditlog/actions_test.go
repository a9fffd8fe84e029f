package auditlog

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateActionsDoc = flag.Bool("update-actions", false, "rewrite docs/AUDIT-ACTIONS.md from the registry")

// categories are the categories in the order the docs list them.
var categories = []Category{
	CategoryFootage, CategoryAccounts, CategoryPeople, CategoryCameras, CategoryRights, CategoryApprovals,
	CategoryMaintenance, CategoryFinance, CategoryTrading, CategoryWorks, CategoryTrail,
}

// TestActionsRegistry checks each action is described, named as the
// trail's names are, and listed with the rest of its category.
func TestActionsRegistry(t *testing.T) {
	name := regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)*$`)
	acts := Actions()
	if len(acts) == 0 {
		t.Fatal("got an empty registry")
	}
	last := 0
	for _, a := range acts {
		if !name.MatchString(a.Action.String()) {
			t.Errorf("action %q: got a name that is not lower-case words joined by dots", a.Action)
		}
		if a.Description == "" || strings.HasSuffix(a.Description, ".") {
			t.Errorf("action %s: got description %q, want a short phrase without a full stop", a.Action, a.Description)
		}
		if a.Note != "" && !strings.HasSuffix(a.Note, ".") {
			t.Errorf("action %s: got note %q, want sentences ending in a full stop", a.Action, a.Note)
		}
		i := slices.Index(categories, a.Category)
		switch {
		case i < 0:
			t.Errorf("action %s: got category %q, want one of %q", a.Action, a.Category, categories)
		case i < last:
			t.Errorf("action %s: got it among %q, want it with the rest of %q", a.Action, categories[last], a.Category)
		default:
			last = i
		}
		if got, ok := Lookup(a.Action.String()); !ok || got != a || a.Action.Info() != a {
			t.Errorf("Lookup(%q): got %+v, %v, want %+v", a.Action, got, ok, a)
		}
	}
	if _, ok := Lookup("token.revoke"); ok {
		t.Error(`Lookup("token.revoke"): got an action Vigil never writes (revoking an API token writes api.revoke)`)
	}
	if (Action{}).Info() != (ActionInfo{}) {
		t.Error("the zero Action: got an entry in the registry, want none")
	}
}

// moduleRoot is the folder holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = up
	}
}

// TestActionsOnlyFromRegistry reads every Go file of the module and fails
// on an Action made anywhere but by define (and Stored, for actions read
// back from a store). Outside this package the compiler already refuses
// an Action made from a string (its field is unexported) but not the zero
// auditlog.Action{}, which the trail refuses at run time; inside it, nothing
// stops a literal Action{name: "..."} but this test.
func TestActionsOnlyFromRegistry(t *testing.T) {
	const path = "github.com/vigil-cctv/vigil/internal/auditlog"
	root := moduleRoot(t)
	own, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		inAudit := filepath.Dir(p) == own
		local := "" // what this file calls the audit package
		for _, im := range f.Imports {
			if v, _ := strconv.Unquote(im.Path.Value); v == path {
				local = "auditlog"
				if im.Name != nil {
					local = im.Name.Name
				}
			}
		}
		// funcOf says which function a position is in.
		funcOf := func(pos token.Pos) string {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Pos() <= pos && pos < fd.End() {
					return fd.Name.Name
				}
			}
			return ""
		}
		ast.Inspect(f, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			at := fset.Position(cl.Pos())
			rel, _ := filepath.Rel(root, at.Filename)
			switch ty := cl.Type.(type) {
			case *ast.Ident:
				if inAudit && ty.Name == "Action" && len(cl.Elts) > 0 {
					if fn := funcOf(cl.Pos()); fn != "define" && fn != "Stored" {
						if fn == "" {
							fn = "a declaration"
						}
						t.Errorf("%s:%d: an Action made in %s, want it defined in the registry (actions.go)", rel, at.Line, fn)
					}
				}
			case *ast.SelectorExpr:
				if x, ok := ty.X.(*ast.Ident); ok && local != "" && x.Name == local && ty.Sel.Name == "Action" {
					t.Errorf("%s:%d: an auditlog.Action made outside the registry, want one of its variables", rel, at.Line)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Errorf("read %d Go files under %s, want the whole module", files, root)
	}
}

// actionsMarkdown is docs/AUDIT-ACTIONS.md as the registry makes it.
func actionsMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString(`# Audit actions

<!-- Made from the registry in internal/auditlog/actions.go; do not edit.
     After changing the registry: go test ./internal/auditlog -run TestActionsDoc -update-actions -->

Every record of Vigil's audit trail names what happened with one of the
actions below. A record also holds when it happened (UTC), who did it
(the user and their organisation; ` + "`vigil`" + ` for what Vigil did itself),
from where (the address the request came from), the camera and the time
range of footage concerned where there are any, the reason the user gave
where one was asked for, and a detail saying precisely what was done.

The console's audit page (Audit in the menu) filters the trail by action
and shows each action's description when you point at it; ` + "`GET /api/v1/audit?action=NAME`" + `
and the CSV download filter the same way.

Records moved from the audit log of Vigil versions before the trail keep
the action they were written with.
`)
	var cat Category
	for _, a := range Actions() {
		if a.Category != cat {
			cat = a.Category
			fmt.Fprintf(&b, "\n## %s\n\n| Action | What it records | More |\n|---|---|---|\n", cat)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", a.Action, a.Description, a.Note)
	}
	return b.Bytes()
}

// TestActionsDoc fails when docs/AUDIT-ACTIONS.md is not what the registry
// says, so the docs stay true; -update-actions rewrites it.
func TestActionsDoc(t *testing.T) {
	p := filepath.Join(moduleRoot(t), "docs", "AUDIT-ACTIONS.md")
	want := actionsMarkdown()
	if *updateActionsDoc {
		if err := os.WriteFile(p, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/AUDIT-ACTIONS.md differs from the registry (internal/auditlog/actions.go): run go test ./internal/auditlog -run TestActionsDoc -update-actions\ngot:\n%s\nwant:\n%s", got, want)
	}
}
