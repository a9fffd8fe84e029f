package testkit

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageDocs: every package of the module has exactly one package
// doc comment, so each says what it holds in one place.
func TestPackageDocs(t *testing.T) {
	roots := []string{"..", "../../cmd"}
	for _, root := range roots {
		filepath.WalkDir(root, func(dir string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() || strings.Contains(dir, "testdata") || strings.HasPrefix(d.Name(), ".") && dir != root {
				return nil
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Errorf("%s: %v", dir, err)
				return nil
			}
			// Each package of the folder (package main beside a library
			// is possible) and the files holding its doc comment.
			docs := map[string][]string{}
			fset := token.NewFileSet()
			for _, e := range entries {
				name := e.Name()
				if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
					continue
				}
				f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.PackageClauseOnly)
				if err != nil {
					t.Errorf("%s: %v", dir, err)
					continue
				}
				pkg := f.Name.Name
				if _, ok := docs[pkg]; !ok {
					docs[pkg] = []string{}
				}
				if f.Doc != nil {
					docs[pkg] = append(docs[pkg], name)
				}
			}
			for name, files := range docs {
				if len(files) != 1 {
					t.Errorf("package %s (%s) has %d package doc comments (%v), want 1", name, dir, len(files), files)
				}
			}
			return nil
		})
	}
}
