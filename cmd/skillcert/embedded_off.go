//go:build noembedded

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// The production image is built with -tags noembedded: it carries no Temporal server, so the
// commands that run one refuse clearly instead.

var errNoEmbedded = errors.New("this skillcert binary was built without the embedded Temporal server (-tags noembedded): " +
	"use `skillcert api` and `skillcert worker` against a Temporal cluster (TEMPORAL_ADDRESS), or a build without the tag for `dev`")

func runDev(context.Context, Config, *slog.Logger, io.Writer) error { return errNoEmbedded }

func benchLifecycleEmbedded(context.Context, Config, *slog.Logger, int, string, io.Writer) error {
	return errNoEmbedded
}

func benchDecisionsEmbedded(context.Context, Config, *slog.Logger, string, int, int, time.Duration, time.Duration, io.Writer) error {
	return errNoEmbedded
}

func runTemporalServer(_ []string, _ func(string) string, _ io.Writer) int {
	fmt.Fprintln(os.Stderr, "skillcert temporal:", errNoEmbedded)
	return 1
}
