// Command genman writes tokentray's man pages (tokentray.1 and one page per
// command) from the command tree: `make man`.
//
//	go run ./cmd/tokentray/internal/genman DIR
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra/doc"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/root"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/version"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genman DIR")
		os.Exit(2)
	}
	if err := generate(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}

// generate writes the pages into dir.
func generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(&cmdutil.Factory{IO: ios, Version: version.FromBuild("").String()})
	cmd.DisableAutoGenTag = true
	header := &doc.GenManHeader{Title: "TOKENTRAY", Section: "1", Source: "tokentray", Manual: "User Commands"}
	return doc.GenManTree(cmd, header, dir)
}
