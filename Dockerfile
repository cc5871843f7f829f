# syntax=docker/dockerfile:1

# ---- build ------------------------------------------------------------------
FROM rust:1-slim-bookworm AS builder
WORKDIR /src

# migrations/ and templates/ are embedded into the binary at compile time
# (sqlx::migrate! and include_str!), so they must be in the build context.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates

RUN cargo build --release --locked --bin herald \
 && install -D -m 0755 target/release/herald /out/herald

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim

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

ENTRYPOINT ["herald"]
CMD ["serve"]
