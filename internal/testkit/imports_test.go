package testkit

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The layout's import rules (docs/ARCHITECTURE.md draws the map). A rule
// says what a package may import, or who may import it; packages are
// named from the module's root ("internal/web"). Only imports of Vigil's
// own packages count, and only in non-test files: a test may import what
// it needs (testkit above all). Every build tag counts, so a file for
// another system cannot hide an import.
//
// When the reshape (issue 11) moves a package, change its row; when it
// removes an exception, remove the row or entry. A row that allows more
// than the code imports fails too, so the tables never fall behind what
// the code already keeps to.

// mediaCore is the media core: each of its packages and the media-core
// packages it may import. It may import nothing else of Vigil's but
// mediaOutside's exceptions: it knows cameras, codecs and files, never
// users, rights or the console.
var mediaCore = map[string][]string{
	"internal/rtsp":      {},
	"internal/codec":     {},
	"internal/mp4":       {},
	"internal/segstore":  {},
	"internal/segindex":  {},
	"internal/live":      {"internal/codec", "internal/mp4"},
	"internal/ingest":    {"internal/codec", "internal/live", "internal/rtsp"},
	"internal/transcode": {"internal/codec", "internal/live"},
	"internal/simcam":    {"internal/codec", "internal/mp4", "internal/rtsp"},
	"internal/recording": {"internal/codec", "internal/ingest", "internal/mp4", "internal/segindex", "internal/segstore"},
	"internal/playback":  {"internal/mp4", "internal/segindex", "internal/segstore"},
}

// mediaOutside are the media core's imports from outside it. The
// segment index's rows are the media core's own (segindex), which the
// store keeps through the recorder's and playback's interfaces; their
// files go through segstore.
var mediaOutside = map[string][]string{
	// Retention and erasure add the audit record of a deletion in the
	// deletion's own transaction, naming it with the registry's actions
	// (auditlog, a foundation that imports nothing of Vigil's).
	"internal/recording": {"internal/auditlog"},
}

// mayImport lists, for packages outside the media core whose place is
// settled, every Vigil package each may import.
var mayImport = map[string][]string{
	// Foundations: rules and helpers that every layer may use, so they
	// use none of them. Rights above all: its decisions are pure
	// functions of a snapshot.
	"internal/rights":      {},
	"internal/auth":        {},
	"internal/money":       {},
	"internal/period":      {},
	"internal/names":       {},
	"internal/netpolicy":   {},
	"internal/secret":      {},
	"internal/spreadsheet": {},
	"internal/tlscert":     {},
	"internal/localtime":   {},
	// What the trail records (the registry of actions, the entry) and
	// the vocabulary of refusals: every capability names its audit
	// records and its refusals without knowing the trail or the store.
	"internal/auditlog": {},
	"internal/problem":  {},
	// Capabilities: each owns its model, its rules and its service, and
	// reaches storage through a repository interface of its own that the
	// store implements, so none imports the store.
	"internal/finance":  {"internal/auditlog", "internal/money", "internal/names", "internal/period", "internal/problem", "internal/rights", "internal/spreadsheet"},
	"internal/identity": {"internal/auditlog", "internal/auth", "internal/names", "internal/problem", "internal/rights"},
	"internal/trading":  {"internal/auditlog", "internal/money", "internal/period", "internal/problem", "internal/rights", "internal/spreadsheet"},
	"internal/works":    {"internal/auditlog", "internal/money", "internal/names", "internal/period", "internal/problem", "internal/rights"},
	"internal/access":   {"internal/auditlog", "internal/problem", "internal/rights"},
	// Approvals carries changes of access in its requests, so it knows
	// access's model; access knows no approvals.
	"internal/approvals": {"internal/access", "internal/auditlog", "internal/problem", "internal/rights"},
	// The cameras' history events are the recharge's (finance's model).
	"internal/cameras": {"internal/auditlog", "internal/finance", "internal/names", "internal/netpolicy", "internal/problem", "internal/rights"},
	// Footage decides over the media core's work: clips are built by
	// playback, footage is deleted by recording's eraser, each behind an
	// interface of footage's own; it reads the segment index's rows
	// (segindex) and deletes them in recording's deletion transaction,
	// both as the store keeps them, so the store is its repository
	// without importing it; it knows the cameras, the approvals exports
	// and deletions wait on, and their requesters' names.
	"internal/footage": {"internal/approvals", "internal/auditlog", "internal/cameras", "internal/identity", "internal/playback", "internal/problem", "internal/recording", "internal/rights", "internal/segindex"},
	// Maintenance's watcher reads the running cameras' state
	// (ingest.Status) and nothing else of the media core.
	"internal/maintenance": {"internal/auditlog", "internal/ingest", "internal/period", "internal/problem", "internal/rights"},
	// What Vigil's HTTP handlers share: a leaf beneath web, the API and
	// the console, knowing the signed-in user's model and rights and the
	// refusals it answers with, never a service or the store.
	"internal/web/httpx": {"internal/auditlog", "internal/identity", "internal/names", "internal/period", "internal/problem", "internal/rights", "internal/spreadsheet"},
	// The store is the SQL; it implements the capabilities' repositories
	// with their types, and imports no service of theirs. It keeps the
	// media core's segment index in the index's own rows (segindex),
	// never importing recording or playback, whose tests use the store.
	"internal/store": {"internal/access", "internal/approvals", "internal/auditlog", "internal/cameras", "internal/finance", "internal/identity", "internal/maintenance", "internal/money", "internal/names", "internal/problem", "internal/rights", "internal/segindex", "internal/trading", "internal/works"},
}

// importedOnlyBy lists, for the top of the layout and the test helpers,
// the only packages that may import each: the transport, the wiring and
// the command line depend on the rest, never the other way round.
var importedOnlyBy = map[string][]string{
	// HTTP: the server and the JSON API; only the wiring starts it.
	"internal/web": {"internal/app"},
	// The JSON API and the console's pages: only the server lists their
	// routes.
	"internal/web/api":     {"internal/web"},
	"internal/web/console": {"internal/web"},
	// What the server, the API and the pages share, and no one else.
	"internal/web/httpx": {"internal/web", "internal/web/api", "internal/web/console"},
	// The wiring: the command line runs it, and the benchmarks run it
	// as a whole server.
	"internal/app":   {"internal/cli", "internal/bench"},
	"internal/bench": {"internal/cli"},
	"internal/cli":   {"cmd/vigil"},
	// Test helpers, for test files only.
	// fixture, itself for test files only, builds on testkit's
	// databases.
	"internal/testkit":         {"internal/testkit/fixture"},
	"internal/testkit/fixture": {},
}

// layout is a set of import rules, so that the checker can be proven on
// rules and graphs made up for it.
type layout struct {
	mediaCore, mediaOutside, mayImport, importedOnlyBy map[string][]string
}

var vigilLayout = layout{mediaCore: mediaCore, mediaOutside: mediaOutside, mayImport: mayImport, importedOnlyBy: importedOnlyBy}

// TestImportRules: no package imports what the layout forbids.
func TestImportRules(t *testing.T) {
	graph := moduleGraph(t)
	for _, v := range vigilLayout.check(graph) {
		t.Error(v)
	}
}

// TestImportRulesCatch: the rules catch each kind of breach, on the real
// graph with one import added or removed, and on made-up layouts.
func TestImportRulesCatch(t *testing.T) {
	module := moduleGraph(t)
	for _, tc := range []struct {
		name string
		edit func(g map[string][]string)
		want []string
	}{
		{"a domain package imports web", func(g map[string][]string) {
			g["internal/finance"] = append(g["internal/finance"], "internal/web")
		}, []string{"internal/finance imports internal/web, which its row does not allow",
			"internal/finance imports internal/web, which only [internal/app] may import"}},
		{"web imports app", func(g map[string][]string) {
			g["internal/web"] = append(g["internal/web"], "internal/app")
		}, []string{"internal/web imports internal/app, which only [internal/cli internal/bench] may import"}},
		{"the wiring imports the console", func(g map[string][]string) {
			g["internal/app"] = append(g["internal/app"], "internal/web/console")
		}, []string{"internal/app imports internal/web/console, which only [internal/web] may import"}},
		{"httpx imports the console", func(g map[string][]string) {
			g["internal/web/httpx"] = append(g["internal/web/httpx"], "internal/web/console")
		}, []string{"internal/web/httpx imports internal/web/console, which its row does not allow",
			"internal/web/httpx imports internal/web/console, which only [internal/web] may import"}},
		{"the store imports the command line", func(g map[string][]string) {
			g["internal/store"] = append(g["internal/store"], "internal/cli")
		}, []string{
			"internal/store imports internal/cli, which its row does not allow",
			"internal/store imports internal/cli, which only [cmd/vigil] may import",
		}},
		{"the media core imports rights", func(g map[string][]string) {
			g["internal/live"] = append(g["internal/live"], "internal/rights")
		}, []string{"internal/live imports internal/rights, which its row does not allow"}},
		{"the media core imports upwards within it", func(g map[string][]string) {
			g["internal/codec"] = append(g["internal/codec"], "internal/ingest")
		}, []string{"internal/codec imports internal/ingest, which its row does not allow"}},
		{"a foundation imports the store", func(g map[string][]string) {
			g["internal/rights"] = append(g["internal/rights"], "internal/store")
		}, []string{"internal/rights imports internal/store, which its row does not allow"}},
		{"code imports a test helper", func(g map[string][]string) {
			g["internal/web"] = append(g["internal/web"], "internal/testkit/fixture")
		}, []string{"internal/web imports internal/testkit/fixture, which only test files may import"}},
		{"an exception no longer needed", func(g map[string][]string) {
			g["internal/recording"] = slices.DeleteFunc(g["internal/recording"], func(p string) bool { return p == "internal/auditlog" })
		}, []string{"internal/recording no longer imports internal/auditlog: take it out of its row"}},
		{"the media core imports the store", func(g map[string][]string) {
			g["internal/playback"] = append(g["internal/playback"], "internal/store")
		}, []string{"internal/playback imports internal/store, which its row does not allow"}},
		{"a package the rules name is gone", func(g map[string][]string) {
			delete(g, "internal/bench")
		}, []string{"internal/bench: the rules name it, but the module has no such package"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := map[string][]string{}
			for p, imps := range module {
				g[p] = slices.Clone(imps)
			}
			tc.edit(g)
			if got := vigilLayout.check(g); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}

	// Rules that are wrong in themselves.
	for _, tc := range []struct {
		name  string
		l     layout
		graph map[string][]string
		want  []string
	}{
		{"a media-core row names a package outside the core", layout{
			mediaCore: map[string][]string{"a": {"b"}},
		}, map[string][]string{"a": {"b"}, "b": nil},
			[]string{"a: the media core's row names b, which is not in the media core (an exception goes in mediaOutside)"}},
		{"an exception for a package outside the core", layout{
			mediaCore:    map[string][]string{"a": {}},
			mediaOutside: map[string][]string{"b": {"a"}},
		}, map[string][]string{"a": nil, "b": {"a"}},
			[]string{"b: mediaOutside has a row for it, but it is not in the media core"}},
		{"a package with two rows", layout{
			mediaCore: map[string][]string{"a": {}},
			mayImport: map[string][]string{"a": {}},
		}, map[string][]string{"a": nil},
			[]string{"a: both the media core and mayImport have a row for it"}},
		{"a rule names no package", layout{
			importedOnlyBy: map[string][]string{"a": {"c"}},
		}, map[string][]string{"a": nil, "b": {"a"}},
			[]string{"b imports a, which only [c] may import", "c: the rules name it, but the module has no such package"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.check(tc.graph); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// check returns every breach of the layout in graph (each package of the
// module and the Vigil packages it imports), sorted.
func (l layout) check(graph map[string][]string) []string {
	var out []string
	exists := func(p string) {
		if _, ok := graph[p]; !ok {
			out = append(out, p+": the rules name it, but the module has no such package")
		}
	}

	// Each package with a row: exactly the imports its row allows.
	rows := map[string][]string{}
	for p, allowed := range l.mediaCore {
		rows[p] = slices.Concat(allowed, l.mediaOutside[p])
		for _, q := range allowed {
			if _, ok := l.mediaCore[q]; !ok {
				out = append(out, fmt.Sprintf("%s: the media core's row names %s, which is not in the media core (an exception goes in mediaOutside)", p, q))
			}
		}
	}
	for p := range l.mediaOutside {
		if _, ok := l.mediaCore[p]; !ok {
			out = append(out, p+": mediaOutside has a row for it, but it is not in the media core")
		}
	}
	for p, allowed := range l.mayImport {
		if _, ok := rows[p]; ok {
			out = append(out, p+": both the media core and mayImport have a row for it")
			continue
		}
		rows[p] = allowed
	}
	for p, allowed := range rows {
		exists(p)
		for _, q := range allowed {
			exists(q)
		}
		imports, ok := graph[p]
		if !ok {
			continue
		}
		for _, q := range imports {
			if !slices.Contains(allowed, q) {
				out = append(out, fmt.Sprintf("%s imports %s, which its row does not allow", p, q))
			}
		}
		for _, q := range allowed {
			if _, ok := graph[q]; ok && !slices.Contains(imports, q) {
				out = append(out, fmt.Sprintf("%s no longer imports %s: take it out of its row", p, q))
			}
		}
	}

	// Packages only some may import.
	for q, importers := range l.importedOnlyBy {
		exists(q)
		for _, p := range importers {
			exists(p)
		}
	}
	for p, imports := range graph {
		for _, q := range imports {
			importers, ok := l.importedOnlyBy[q]
			switch {
			case !ok || slices.Contains(importers, p):
			case len(importers) == 0:
				out = append(out, fmt.Sprintf("%s imports %s, which only test files may import", p, q))
			default:
				out = append(out, fmt.Sprintf("%s imports %s, which only %v may import", p, q, importers))
			}
		}
	}

	slices.Sort(out)
	return slices.Compact(out)
}

// moduleGraph reads every package of the module: the Vigil packages each
// imports in its non-test files, named from the module's root.
func moduleGraph(t *testing.T) map[string][]string {
	t.Helper()
	// Tests run in their package's folder.
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	module, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// What the go tool leaves out of ./... is no package.
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		imports := graph[pkg]
		for _, spec := range f.Imports {
			ip, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if q, ok := strings.CutPrefix(ip, module+"/"); ok && !slices.Contains(imports, q) {
				imports = append(imports, q)
			}
		}
		graph[pkg] = imports
		return nil
	})
	if err != nil {
		t.Fatalf("reading the module's imports: %v", err)
	}
	// A sanity check on the walk itself: were it to find nothing, every
	// rule would fail, but naming the cause is kinder.
	if _, ok := graph["internal/web"]; !ok {
		t.Fatalf("read %d packages under %s, none of them internal/web", len(graph), root)
	}
	return graph
}

// modulePath reads the module directive of a go.mod file.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s: no module directive", gomod)
}
