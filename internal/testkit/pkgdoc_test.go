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
			fset := token.NewFileSet()
			pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments|parser.PackageClauseOnly)
			if err != nil {
				t.Errorf("%s: %v", dir, err)
				return nil
			}
			for name, p := range pkgs {
				var docs []string
				for fname, f := range p.Files {
					if f.Doc != nil {
						docs = append(docs, filepath.Base(fname))
					}
				}
				if len(docs) != 1 {
					t.Errorf("package %s (%s) has %d package doc comments (%v), want 1", name, dir, len(docs), docs)
				}
			}
			return nil
		})
	}
}
