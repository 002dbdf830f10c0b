# syntax=docker/dockerfile:1
#
# skillcert container image.
#
# One image runs every subcommand: the entrypoint is the skillcert binary and
# the command picks the role (api, worker, migrate, seed, version), e.g.
#
#   docker build -t skillcert .
#   docker run --rm skillcert version
#
# docker-compose.yml builds this file for the api, worker, migrate and seed
# services.

# ---------------------------------------------------------------------------
# Build stage: a static, CGO-free binary, built with -tags noembedded: the
# production image carries no embedded Temporal server (`skillcert dev` then
# refuses and says why). It runs on the build host's platform
# and cross-compiles for the target, so `docker buildx build --platform ...`
# does not need emulation.
# ---------------------------------------------------------------------------
FROM --platform=$BUILDPLATFORM golang:1.26 AS build

WORKDIR /src

# Module downloads are cached in their own layer: they only change with
# go.mod/go.sum.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .

ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -tags noembedded -ldflags "-s -w" -o /out/skillcert ./cmd/skillcert

# ---------------------------------------------------------------------------
# Final stage: alpine rather than distroless so that busybox `wget` is there
# for the compose healthcheck on /healthz. The base image already carries the
# CA bundle; no tzdata package is needed because the binary embeds time/tzdata.
# ---------------------------------------------------------------------------
FROM alpine:3.22 AS final

# Fixed numeric ids, so that volume ownership is predictable and Kubernetes'
# runAsNonRoot can check the user.
RUN addgroup -S -g 10001 skillcert \
 && adduser -S -D -H -u 10001 -G skillcert -h /nonexistent -s /sbin/nologin skillcert \
 && mkdir -p /var/lib/skillcert/attachments \
 && chown -R 10001:10001 /var/lib/skillcert

COPY --from=build /out/skillcert /usr/local/bin/skillcert

ENV SKILLCERT_HTTP_ADDR=:8080 \
    SKILLCERT_STORAGE_DIR=/var/lib/skillcert/attachments

# Uploaded attachments. A named volume mounted here starts out with the
# ownership set above.
VOLUME ["/var/lib/skillcert/attachments"]

EXPOSE 8080

USER 10001:10001
WORKDIR /var/lib/skillcert

ENTRYPOINT ["/usr/local/bin/skillcert"]
CMD ["api"]
