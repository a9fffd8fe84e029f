// Command vigil is the whole of Vigil in one binary: the server, the demo,
// simulated cameras, and the tools around them. Run "vigil help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigil-cctv/vigil/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
