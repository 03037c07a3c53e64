# syntax=docker/dockerfile:1
#
# ratelord-d in a container. See docs/deployment.md.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t ratelord .
#   docker run -d --name ratelord -p 127.0.0.1:8090:8090 --stop-timeout 45 \
#     -e RATELORD_AUTH_TOKEN -v ratelord-data:/data ratelord
#
# Two stages: the Go toolchain builds two static binaries (the SQLite driver
# is pure Go, so CGO_ENABLED=0 works), and the final image holds only them,
# the example policy and CA certificates (for the upstreams' HTTPS), running
# as a non-root user.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ENV CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ratelord-d ./cmd/ratelord-d && \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ratelord ./cmd/ratelord
# The final image has no shell to create directories with, so the data
# directory is made here, owned by distroless's nonroot user (65532). Docker
# copies an image directory's owner into a new named volume mounted on it,
# so a fresh volume at /data is writable by the daemon.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

# distroless static: CA certificates, /etc/passwd with nonroot, a /tmp, no
# shell and no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ratelord-d /out/ratelord /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/data /data
# The example policy. Mount your own over it (a file, or a directory at
# /etc/ratelord), then reload with: docker kill --signal HUP <container>
COPY policy.yaml /etc/ratelord/policy.yaml

# The daemon's settings (see README.md, "The daemon"). The address binds
# every interface of the container so that -p can publish it; set
# RATELORD_AUTH_TOKEN, or the daemon warns that anyone who reaches the port
# can spend quota.
ENV RATELORD_DB_PATH=/data/ratelord.db \
    RATELORD_CONFIG_PATH=/etc/ratelord/policy.yaml \
    RATELORD_ADDR=0.0.0.0:8090

USER 65532:65532
VOLUME /data
EXPOSE 8090

# SIGTERM starts the graceful stop (requests in flight get up to 30s).
# docker stop kills after 10s by default: run with --stop-timeout 45.
STOPSIGNAL SIGTERM

# distroless has no curl or wget, but the image ships the ratelord CLI:
# `health --ready` asks /readyz (policy loaded, store reachable, not
# shutting down) and fails otherwise; it needs no token. If you change the
# port in RATELORD_ADDR, change it here as well.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/ratelord", "--url", "http://127.0.0.1:8090", "health", "--ready"]

ENTRYPOINT ["/usr/local/bin/ratelord-d"]
