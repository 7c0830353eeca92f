# syntax=docker/dockerfile:1
#
# Segue's two images, from source, with the toolchain that rust-toolchain.toml pins:
#
#   docker build --target server -t segue-server .   # the API + the trunk-built page (default)
#   docker build --target miner  -t segue-miner  .   # the batch job (`miner run` in Kubernetes)
#
# Stages: `rust` (the pinned toolchain) -> `skeleton` (the workspace's manifests and stub
# sources) -> `deps` (every dependency, compiled from the skeleton, so a source change does
# not rebuild them) -> `build`
# (the native binaries). `tools` (scripts/setup.sh: trunk, wasm-bindgen-cli, wasm-opt) ->
# `web` (the page's dependencies, then `trunk build`). The runtime images are distroless
# (glibc + libgcc, no shell) and run as the numeric non-root user 65532.
#
# Where the runtime stages' inputs come from is a build argument too (BINARIES, PAGE: the
# stages `build` and `web` by default). scripts/container-check.sh builds the same `server`
# and `miner` stages on a machine without registry access: RUNTIME_IMAGE is a distroless-like
# base made from Debian packages (mmdebstrap), BINARIES and PAGE an image holding the test
# run's own release binaries and trunk-built page at the paths below. The stages `rust`,
# `skeleton`, `deps`, `build`, `lockpin`, `tools` and `web` cannot run there: they start from
# RUST_IMAGE, a registry image (and `tools` needs the network for cargo/npm installs).
#
# deploy/tests/it/dockerfile.rs checks this file against the repository and the binaries:
# COPY sources exist and are not excluded by .dockerignore, USER is not root, EXPOSE and
# ENTRYPOINT agree with the server's and the miner's clap definitions.

# Debian 12 in every stage: the binaries link against the glibc of distroless/cc-debian12.
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
# The stages (or images) that hold /src/target/release/{server,miner} and /src/dist.
ARG BINARIES=build
ARG PAGE=web

FROM ${RUST_IMAGE} AS rust
WORKDIR /src
COPY rust-toolchain.toml ./
# The toolchain file names 1.95.0 (the image's) plus rustfmt, clippy and the wasm32 target.
RUN rustup component add rustfmt clippy && rustup target add wasm32-unknown-unknown

# Every manifest of the workspace, with a stub for each source root it has (src/lib.rs,
# src/main.rs) and each `[[bench]]` it declares (cargo checks they exist), found rather than
# listed, so a new crate needs no change here. Its output changes only with the manifests,
# so the dependency layers below stay cached across source changes.
FROM rust AS skeleton
COPY . /full
RUN mkdir /skeleton && cd /full \
 && cp Cargo.lock /skeleton/ \
 && find . -name target -prune -o -name Cargo.toml -print | while read -r manifest; do \
      dir=$(dirname "$manifest"); mkdir -p "/skeleton/$dir/src"; cp "$manifest" "/skeleton/$dir/"; \
      if [ -f "$dir/src/lib.rs" ]; then touch "/skeleton/$dir/src/lib.rs"; fi; \
      if [ -f "$dir/src/main.rs" ]; then echo 'fn main() {}' > "/skeleton/$dir/src/main.rs"; fi; \
      for b in $(sed -n '/^\[\[bench\]\]/,/^name/ s/^name = "\(.*\)"/\1/p' "$manifest"); do \
        mkdir -p "/skeleton/$dir/benches" && echo 'fn main() {}' > "/skeleton/$dir/benches/$b.rs"; done; \
    done

FROM rust AS deps
COPY --from=skeleton /skeleton ./
RUN cargo build --locked --release -p server -p miner

FROM deps AS build
COPY . .
# COPY keeps the files' times, which may be older than the stubs': make cargo see them as new.
RUN find . -name target -prune -o -name '*.rs' -exec touch {} + \
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
RUN scripts/setup.sh build && rm Cargo.lock
ENV PATH=/src/.tools/node_modules/.bin:$PATH

FROM tools AS web
COPY --from=skeleton /skeleton ./
COPY Trunk.toml index.html ./
RUN cargo build --locked -p web --target wasm32-unknown-unknown --profile wasm-release
COPY . .
RUN find . -name target -prune -o -name '*.rs' -exec touch {} + \
 && trunk build --release --offline

# The runtime stages' inputs, by name (a stage above, or a local image in the container check).
FROM ${BINARIES} AS binaries
FROM ${PAGE} AS page

FROM ${RUNTIME_IMAGE} AS miner
COPY --from=binaries /src/target/release/miner /usr/local/bin/miner
USER 65532:65532
# The model directory on the shared volume (the Kubernetes manifests set the same). Only what
# every subcommand the manifests run reads (`run` and `import`): `run`'s SEGUE_DATASETS comes
# from the segue-miner ConfigMap (or `-e`).
ENV SEGUE_MODEL_DIR=/data
ENTRYPOINT ["/usr/local/bin/miner"]
CMD ["run"]

# Last, so that a plain `docker build .` gives the server.
FROM ${RUNTIME_IMAGE} AS server
COPY --from=binaries /src/target/release/server /usr/local/bin/server
COPY --from=page /src/dist /srv/segue/web
USER 65532:65532
ENV SEGUE_WEB_DIR=/srv/segue/web \
    SEGUE_MODEL_DIR=/data \
    SEGUE_LISTEN=0.0.0.0:31000
EXPOSE 31000
ENTRYPOINT ["/usr/local/bin/server"]
