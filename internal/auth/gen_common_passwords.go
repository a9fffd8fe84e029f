//go:build ignore

// gen_common_passwords builds common_passwords.txt.gz, the list of
// commonly used and breached passwords and dictionary words that
// CheckPasswordStrength refuses, from the downloaded sources named on the
// command line (see COMMON_PASSWORDS.md for where each comes from):
//
//	go run gen_common_passwords.go -o common_passwords.txt.gz \
//	    json:passwords.json zxcvbn:frequency_lists.coffee \
//	    lines:password.lst lines:american-english lines:context_words.txt
//
// Each argument is KIND:FILE. KIND is json (a JSON array of strings),
// zxcvbn (zxcvbn's frequency_lists.coffee: lines of name: "a,b,c") or
// lines (one entry a line; lines starting with # are comments).
//
// Entries are lower-cased (the check lower-cases what it is given),
// trimmed, and dropped if empty, not UTF-8, or a possessive ending in
// "'s" (the check strips that itself, so the list need not hold both
// "john" and "john's"). The result is sorted by bytes, deduplicated, one
// entry a line, and gzipped without a timestamp, so the same sources give
// the same file.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

func main() {
	out := flag.String("o", "common_passwords.txt.gz", "output file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: go run gen_common_passwords.go [-o FILE] KIND:FILE...")
		os.Exit(2)
	}
	set := map[string]bool{}
	for _, arg := range flag.Args() {
		kind, file, ok := strings.Cut(arg, ":")
		if !ok {
			fail(fmt.Errorf("%q: want KIND:FILE", arg))
		}
		entries, err := read(kind, file)
		if err != nil {
			fail(err)
		}
		before := len(set)
		for _, e := range entries {
			if e = normalise(e); e != "" {
				set[e] = true
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %d entries, %d new\n", file, len(entries), len(set)-before)
	}
	list := make([]string, 0, len(set))
	for e := range set {
		list = append(list, e)
	}
	slices.Sort(list)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		fail(err)
	}
	for _, e := range list {
		zw.Write([]byte(e))
		zw.Write([]byte{'\n'})
	}
	if err := zw.Close(); err != nil {
		fail(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "%s: %d entries, %d bytes\n", *out, len(list), buf.Len())
}

func normalise(e string) string {
	e = strings.ToLower(strings.TrimSpace(e))
	if !utf8.ValidString(e) || strings.ContainsAny(e, "\r\n") || strings.HasSuffix(e, "'s") {
		return ""
	}
	return e
}

var zxcvbnLine = regexp.MustCompile(`^\s*(\w+):\s*"([^"]*)"`)

func read(kind, file string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var entries []string
	switch kind {
	case "json":
		if err := json.Unmarshal(b, &entries); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	case "zxcvbn":
		for line := range strings.Lines(string(b)) {
			if m := zxcvbnLine.FindStringSubmatch(line); m != nil {
				entries = append(entries, strings.Split(m[2], ",")...)
			}
		}
	case "lines":
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if line := sc.Text(); !strings.HasPrefix(line, "#") {
				entries = append(entries, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	default:
		return nil, fmt.Errorf("%s: unknown kind %q (want json, zxcvbn or lines)", file, kind)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: no entries read as %s", file, kind)
	}
	return entries, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen_common_passwords:", err)
	os.Exit(1)
}
