// compose-config does what `docker compose config` does, without Docker: it loads Compose files
// with compose-go (the loader the docker compose CLI itself uses), interpolating variables,
// resolving YAML anchors and merges, validating against the Compose Specification and checking
// the references between services, networks and volumes, and prints the resolved project as
// JSON. On a bad file it prints the loader's error and exits 1. No container engine is needed.
//
//	compose-config -f deploy/compose.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	var files multi
	flag.Var(&files, "f", "Compose file (repeatable)")
	flag.Parse()
	opts, err := cli.NewProjectOptions(files, cli.WithOsEnv, cli.WithDotEnv, cli.WithResolvedPaths(true))
	if err == nil {
		var out []byte
		project, lerr := opts.LoadProject(context.Background())
		if err = lerr; err == nil {
			if out, err = project.MarshalJSON(); err == nil {
				_, err = os.Stdout.Write(append(out, '\n'))
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
