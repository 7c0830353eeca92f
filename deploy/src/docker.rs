//! The Dockerfile's stages and instructions, and `.dockerignore` matching.

use crate::root;

/// One stage of the Dockerfile: its name and instructions (keyword, rest of the line).
#[derive(Debug)]
pub struct Stage {
    /// The stage's name (`FROM ... AS name`).
    pub name: String,
    /// Its instructions: keyword, rest of the line.
    pub instructions: Vec<(String, String)>,
}

impl Stage {
    /// The arguments of every `keyword` instruction.
    pub fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.instructions
            .iter()
            .filter(move |(k, _)| k == keyword)
            .map(|(_, rest)| rest.as_str())
    }

    /// The arguments of the one `keyword` instruction; panics unless there is exactly one.
    pub fn one<'a>(&'a self, keyword: &'a str) -> &'a str {
        let found: Vec<&str> = self.all(keyword).collect();
        assert_eq!(found.len(), 1, "stage {}: one {keyword}", self.name);
        found[0]
    }

    /// ENV lines (`K=V` pairs; no quoting in our Dockerfile).
    pub fn env(&self) -> Vec<(String, String)> {
        self.all("ENV")
            .flat_map(|rest| rest.split_whitespace())
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("ENV K=V");
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    /// A `keyword` instruction in exec form, as its list.
    pub fn json_list(&self, keyword: &str) -> Vec<String> {
        serde_json::from_str(self.one(keyword))
            .unwrap_or_else(|e| panic!("stage {}: {keyword} as a JSON list: {e}", self.name))
    }
}

/// The Dockerfile, parsed into stages.
pub fn dockerfile() -> Vec<Stage> {
    let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    let mut stages: Vec<Stage> = Vec::new();
    let mut line = String::new();
    for raw in text.lines() {
        let raw = raw.trim();
        if raw.starts_with('#') || (raw.is_empty() && line.is_empty()) {
            continue;
        }
        if let Some(part) = raw.strip_suffix('\\') {
            line.push_str(part);
            line.push(' ');
            continue;
        }
        line.push_str(raw);
        let full = std::mem::take(&mut line);
        let Some((keyword, rest)) = full.trim().split_once(char::is_whitespace) else {
            continue;
        };
        let (keyword, rest) = (keyword.to_ascii_uppercase(), rest.trim().to_owned());
        if keyword == "FROM" {
            let name = rest
                .split_once(" AS ")
                .map(|(_, n)| n.trim().to_owned())
                .unwrap_or_default();
            stages.push(Stage {
                name,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push((keyword, rest));
        }
    }
    stages
}

/// The stage called `name`.
pub fn stage<'a>(stages: &'a [Stage], name: &str) -> &'a Stage {
    stages
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("Dockerfile has no stage {name}"))
}

/// `*` within a path segment, `**` across segments, `?` one character (Docker's rules).
pub fn glob(pattern: &[u8], path: &[u8]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(b'*'), _) if pattern.get(1) == Some(&b'*') => {
            let rest = pattern[2..].strip_prefix(b"/").unwrap_or(&pattern[2..]);
            (0..=path.len()).any(|i| glob(rest, &path[i..]))
        }
        (Some(b'*'), _) => {
            glob(&pattern[1..], path)
                || (path.first().is_some_and(|&c| c != b'/') && glob(pattern, &path[1..]))
        }
        (Some(b'?'), Some(&c)) if c != b'/' => glob(&pattern[1..], &path[1..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[1..], &path[1..]),
        _ => false,
    }
}

/// Whether .dockerignore keeps `path` (relative, `/`-separated) out of the build context: the
/// last pattern that matches the path or one of its parent directories decides.
pub fn docker_ignored(path: &str) -> bool {
    let text = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    let mut ignored = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keep, pattern) = match line.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, line),
        };
        let pattern = pattern.trim_matches('/');
        let mut prefix = String::new();
        let matched = path.split('/').any(|segment| {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(segment);
            glob(pattern.as_bytes(), prefix.as_bytes())
        });
        if matched {
            ignored = !keep;
        }
    }
    ignored
}
