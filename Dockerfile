# syntax=docker/dockerfile:1

# Base images pinned by tag and by digest (the multi-platform index): a
# rebuild gets the same compiler and the same runtime. Update tag and digest
# together; both stages are Debian 12 (bookworm), so the binary finds the
# glibc it was linked against.
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082
ARG RUNTIME_IMAGE=debian:12.12-slim@sha256:d5d3f9c23164ea16f31852f95bd5959aad1c5e854332fe00f7b3a20fcc9f635c

# ---- build ------------------------------------------------------------------
FROM ${RUST_IMAGE} AS builder
WORKDIR /src

# Dependencies first, in a layer of their own: an empty crate with Herald's
# manifest and lock file compiles every dependency, and Docker reuses that
# layer until Cargo.toml or Cargo.lock change, so a change to Herald's own
# code rebuilds Herald only.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --bin herald \
 && rm -rf src

# Herald itself. migrations/, templates/ and locales/ are compiled into the
# binary (sqlx::migrate! and include_str!), so the build needs them and the
# runtime image doesn't.
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
COPY locales ./locales
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin herald \
 && install -D -m 0755 target/release/herald /out/herald

# ---- runtime ----------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

# CA certificates: TLS to the SMTP relay, PostgreSQL and feeds.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 herald \
 && useradd --system --uid 10001 --gid herald --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin herald \
 && mkdir -p /data/outbox \
 && chown -R herald:herald /data

COPY --from=builder /out/herald /usr/local/bin/herald

ENV HERALD_LISTEN=0.0.0.0:8080 \
    HERALD_DATABASE_URL=sqlite:///data/herald.db \
    HERALD_OUTBOX_DIR=/data/outbox

WORKDIR /data
USER 10001:10001
EXPOSE 8080
VOLUME /data

# `herald health` asks this container's own server (HERALD_LISTEN, on
# loopback) for /health: 200 while it serves and its database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["herald", "health", "--timeout", "4s"]

ENTRYPOINT ["herald"]
CMD ["serve"]
