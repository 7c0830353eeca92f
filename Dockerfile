# syntax=docker/dockerfile:1
#
# Segue's two images, from source, with the toolchain that rust-toolchain.toml pins:
#
#   docker build --target server -t segue-server .   # the API + the trunk-built page (default)
#   docker build --target miner  -t segue-miner  .   # the batch job (`miner run` in Kubernetes)
#
# Stages: `rust` (the pinned toolchain) -> `deps` (every dependency, compiled from the
# manifests alone with stub sources, so a source change does not rebuild them) -> `build`
# (the native binaries). `tools` (scripts/setup.sh: trunk, wasm-bindgen-cli, wasm-opt) ->
# `web` (the page's dependencies, then `trunk build`). The runtime images are distroless
# (glibc + libgcc, no shell) and run as the numeric non-root user 65532.
#
# server/tests/it/deploy.rs checks this file against the repository and the binaries:
# COPY sources exist and are not excluded by .dockerignore, USER is not root, EXPOSE and
# ENTRYPOINT agree with the server's and the miner's clap definitions.

# Debian 12 in every stage: the binaries link against the glibc of distroless/cc-debian12.
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS rust
WORKDIR /src
COPY rust-toolchain.toml ./
# The toolchain file names 1.95.0 (the image's) plus rustfmt, clippy and the wasm32 target.
RUN rustup component add rustfmt clippy && rustup target add wasm32-unknown-unknown

# Manifests and stub sources (a `main` for every binary and every `[[bench]]` a manifest
# declares, since cargo checks they exist): this layer's compiled dependencies stay cached
# until Cargo.toml or Cargo.lock change.
FROM rust AS deps
COPY Cargo.toml Cargo.lock ./
COPY engine/Cargo.toml engine/
COPY miner/Cargo.toml miner/
COPY server/Cargo.toml server/
COPY web/Cargo.toml web/
RUN mkdir -p engine/src miner/src server/src web/src \
 && touch engine/src/lib.rs miner/src/lib.rs server/src/lib.rs \
 && for f in miner/src/main.rs server/src/main.rs web/src/main.rs; do \
      echo 'fn main() {}' > "$f"; done \
 && for m in engine miner server web; do \
      for b in $(sed -n '/^\[\[bench\]\]/,/^name/ s/^name = "\(.*\)"/\1/p' "$m/Cargo.toml"); do \
        mkdir -p "$m/benches" && echo 'fn main() {}' > "$m/benches/$b.rs"; done; done \
 && cargo build --locked --release -p server -p miner

FROM deps AS build
COPY engine engine
COPY miner miner
COPY server server
COPY web web
# COPY keeps the files' times, which may be older than the stubs': make cargo see them as new.
RUN find engine miner server web -name '*.rs' -exec touch {} + \
 && cargo build --locked --release -p server -p miner

# trunk, wasm-bindgen-cli and wasm-opt as scripts/setup.sh pins them (about 12 minutes, once).
# setup.sh checks the wasm-bindgen version in Cargo.lock: give it only those two lines, so that
# other lock changes do not invalidate this layer.
FROM rust AS lockpin
COPY Cargo.lock /tmp/Cargo.lock
RUN grep -A1 '^name = "wasm-bindgen"$' /tmp/Cargo.lock > /tmp/wasm-bindgen.lock

FROM rust AS tools
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libssl-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/setup.sh scripts/
COPY --from=lockpin /tmp/wasm-bindgen.lock Cargo.lock
RUN scripts/setup.sh && rm Cargo.lock
ENV PATH=/src/.tools/node_modules/.bin:$PATH

FROM tools AS web
COPY Cargo.toml Cargo.lock Trunk.toml index.html ./
COPY engine/Cargo.toml engine/
COPY miner/Cargo.toml miner/
COPY server/Cargo.toml server/
COPY web/Cargo.toml web/
RUN mkdir -p engine/src miner/src server/src web/src \
 && touch engine/src/lib.rs miner/src/lib.rs server/src/lib.rs \
 && for f in miner/src/main.rs server/src/main.rs web/src/main.rs; do \
      echo 'fn main() {}' > "$f"; done \
 && for m in engine miner server web; do \
      for b in $(sed -n '/^\[\[bench\]\]/,/^name/ s/^name = "\(.*\)"/\1/p' "$m/Cargo.toml"); do \
        mkdir -p "$m/benches" && echo 'fn main() {}' > "$m/benches/$b.rs"; done; done \
 && cargo build --locked -p web --target wasm32-unknown-unknown --profile wasm-release
COPY engine engine
COPY web web
RUN find engine web -name '*.rs' -exec touch {} + \
 && trunk build --release --offline

FROM ${RUNTIME_IMAGE} AS miner
COPY --from=build /src/target/release/miner /usr/local/bin/miner
USER 65532:65532
# The model directory on the shared volume (the Kubernetes manifests set the same).
ENV SEGUE_MODEL_DIR=/data \
    SEGUE_DATASETS=/data/datasets
ENTRYPOINT ["/usr/local/bin/miner"]
CMD ["run"]

# Last, so that a plain `docker build .` gives the server.
FROM ${RUNTIME_IMAGE} AS server
COPY --from=build /src/target/release/server /usr/local/bin/server
COPY --from=web /src/dist /srv/segue/web
USER 65532:65532
ENV SEGUE_WEB_DIR=/srv/segue/web \
    SEGUE_MODEL_DIR=/data \
    SEGUE_LISTEN=0.0.0.0:31000
EXPOSE 31000
ENTRYPOINT ["/usr/local/bin/server"]
