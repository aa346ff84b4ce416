// Command benchreport writes the benchmark report of `make bench`: it
// reads what the run's tools measured (JSON files in -in, by name; see
// inputs) and writes latest.json and latest.md to -out, each figure with
// its value, p50/p99 where it has them, its baseline measured in the same
// run, the ratio to it, its aim and whether it meets it. It also prints
// the Markdown table. A figure the run could not measure is reported
// without a value and does not meet its aim.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	in := fs.String("in", "", "directory of the run's measurements (required)")
	out := fs.String("out", "", "directory to write latest.json and latest.md to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return errors.New("-in and -out are required")
	}
	m, err := readInputs(*in)
	if err != nil {
		return err
	}
	rep := report{Date: time.Now().UTC().Format(time.DateOnly), Machine: describeMachine(), Figures: figures(m)}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	js, err := rep.json()
	if err != nil {
		return err
	}
	md := rep.markdown(m.notes())
	if err := os.WriteFile(filepath.Join(*out, "latest.json"), js, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*out, "latest.md"), []byte(md), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Print(md)
	return nil
}
