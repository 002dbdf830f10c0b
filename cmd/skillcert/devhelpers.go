package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"skillcert/workflows"
)

// waitReady polls /readyz until it answers 200 or ctx ends.
func waitReady(ctx context.Context, base string) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at %s not ready: %w", base, context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// upcomingYear is the year of the next collection deadline.
func upcomingYear(now time.Time) int {
	if deadline, _ := workflows.DefaultCalendar(now.Year()); now.After(deadline) {
		return now.Year() + 1
	}
	return now.Year()
}

// localURL is the loopback URL of a listen address.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
