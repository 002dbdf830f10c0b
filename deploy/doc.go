// Package deploy holds deployment checks: its tests load the repository's
// docker-compose.yml with the compose-spec loader and inspect the Dockerfile
// and .dockerignore, so that mistakes in the container setup show up in
// `go test` without a Docker engine. It has no non-test code.
package deploy
