//! The Dockerfile against the repository (COPY sources exist and are in the build context)
//! and the binaries (USER, ENTRYPOINT, the image's own configuration).

use std::path::Path;

use deploy::cli::{argv, parse};
use deploy::docker::{docker_ignored, dockerfile, stage};
use deploy::root;

#[test]
fn dockerfile_matches_the_repository_and_the_binaries() {
    let stages = dockerfile();
    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    for (i, stage) in stages.iter().enumerate() {
        for copy in stage.all("COPY") {
            let words: Vec<&str> = copy.split_whitespace().collect();
            let (flags, paths): (Vec<&str>, Vec<&str>) =
                words.iter().partition(|w| w.starts_with("--"));
            assert!(paths.len() >= 2, "COPY {copy}");
            if let Some(from) = flags.iter().find_map(|f| f.strip_prefix("--from=")) {
                assert!(
                    names[..i].contains(&from),
                    "COPY --from={from}: not an earlier stage"
                );
                continue;
            }
            for source in &paths[..paths.len() - 1] {
                assert!(
                    root().join(source).exists(),
                    "COPY {source}: not in the repository"
                );
                assert!(
                    !docker_ignored(source),
                    "COPY {source}: excluded by .dockerignore"
                );
            }
        }
    }
    for binary in ["server", "miner"] {
        let stage = stage(&stages, binary);
        let user = stage.one("USER");
        let uid: u32 = user
            .split(':')
            .next()
            .and_then(|u| u.parse().ok())
            .unwrap_or_else(|| panic!("{binary}: USER {user} is not numeric"));
        assert_ne!(uid, 0, "{binary}: USER is root");
        let entrypoint = stage.json_list("ENTRYPOINT");
        let path = format!("/usr/local/bin/{binary}");
        assert_eq!(
            entrypoint,
            std::slice::from_ref(&path),
            "{binary}: ENTRYPOINT"
        );
        let copy = format!("--from=binaries /src/target/release/{binary} {path}");
        assert!(
            stage.all("COPY").any(|c| c == copy),
            "{binary}: COPY {copy}"
        );
        // The image alone (ENV + CMD) is a valid configuration.
        let args = if binary == "miner" {
            stage.json_list("CMD")
        } else {
            Vec::new()
        };
        let argv = argv(binary, &args, &stage.env(), &format!("Dockerfile {binary}"));
        let parsed = parse(binary, &argv, &format!("Dockerfile {binary}"));
        if let Some(config) = parsed.server {
            assert_eq!(
                stage.one("EXPOSE"),
                config.listen.port().to_string(),
                "EXPOSE"
            );
            let web = stage
                .all("COPY")
                .find_map(|c| c.strip_prefix("--from=page /src/dist "))
                .expect("the page is copied");
            assert_eq!(config.web_dir, Path::new(web), "SEGUE_WEB_DIR");
        }
    }
}

#[test]
fn dockerignore_matching() {
    for (path, ignored) in [
        ("Cargo.toml", false),
        ("scripts/setup.sh", false),
        ("scripts/test.sh", true),
        ("server/src/main.rs", false),
        ("api/src/lib.rs", false),
        ("store/Cargo.toml", false),
        ("index.html", false),
        ("README.md", true),
        ("docs/benchmarks.md", true),
        ("k8s/base/kustomization.yaml", true),
        ("server/target/debug/x", true),
        ("engine/fuzz/Cargo.toml", true),
        ("target/release/server", true),
        (".git/HEAD", true),
    ] {
        assert_eq!(docker_ignored(path), ignored, "{path}");
    }
}
