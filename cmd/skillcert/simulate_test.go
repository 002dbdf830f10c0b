package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// `skillcert simulate` runs the model test outside `go test`, prints its seed and its result.
func TestSimulateCommand(t *testing.T) {
	var out bytes.Buffer
	code := run([]string{"simulate", "--seed", "7", "--checks", "5", "--steps", "12"}, os.Getenv, &out)
	require.Equal(t, 0, code, out.String())
	require.Contains(t, out.String(), "simulate seeds=7..7 checks=5 steps=12")
	require.Contains(t, out.String(), "simulate ok seeds=7..7 sequences=5")
	require.Contains(t, out.String(), "violations=0")
	require.Equal(t, 2, run([]string{"simulate", "--checks", "0"}, os.Getenv, &out))
}
