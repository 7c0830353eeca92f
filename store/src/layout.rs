//! The layout of a model store, as names only (no I/O):
//!
//! ```text
//! models/<model-id>.segue   the blobs, immutable once written
//! current                   one line, `models/<model-id>.segue`: the model to serve, written last
//! guard.json                the miner's publish guard: its last comparisons and the datasets
//!                           published (the miner's alone; servers never read it)
//! ```

/// The pointer's name.
pub const CURRENT: &str = "current";
/// The publish guard's record (JSON, written and read by the miner only).
pub const GUARD: &str = "guard.json";
/// The folder of blobs.
pub const MODELS: &str = "models";
/// A blob's file extension.
pub const EXTENSION: &str = "segue";

/// The blob of model `id`, relative to the store's root: `models/<id>.segue`.
pub fn blob_path(id: &str) -> String {
    format!("{MODELS}/{id}.{EXTENSION}")
}

/// The pointer's content for model `id`: its blob's path and a newline.
pub fn pointer_text(id: &str) -> String {
    format!("{}\n", blob_path(id))
}

/// What is wrong with a pointer's content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected `{MODELS}/<model-id>.{EXTENSION}`, found {found:?}")]
pub struct PointerError {
    /// The content, trimmed.
    pub found: String,
}

/// A pointer's content, checked: the blob path it names (relative to the root, always
/// `models/<id>.segue` with an id that is one plain file name).
pub fn parse_pointer(text: &str) -> Result<&str, PointerError> {
    let path = text.trim();
    match model_id(path) {
        Some(_) => Ok(path),
        None => Err(PointerError {
            found: path.to_owned(),
        }),
    }
}

/// The model id in a blob path `models/<id>.segue`; `None` for any other path.
pub fn model_id(path: &str) -> Option<&str> {
    let id = path
        .strip_prefix(MODELS)?
        .strip_prefix('/')?
        .strip_suffix(EXTENSION)?
        .strip_suffix('.')?;
    let plain = !id.is_empty()
        && !id.starts_with('.')
        && !id.contains(['/', '\\'])
        && !id.chars().any(char::is_control);
    plain.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Option<&str>) {
        assert_eq!(
            parse_pointer(text).ok().and_then(model_id),
            expect,
            "{text:?}"
        );
    }

    #[test]
    fn pointers_name_one_blob_in_models() {
        check("models/abc.segue\n", Some("abc"));
        check("  models/abc.segue  ", Some("abc"));
        check(&pointer_text("0f1e"), Some("0f1e"));
        check("models/a.b.segue", Some("a.b"));
        check("", None);
        check("models/.segue", None);
        check("models/.hidden.segue", None);
        check("models/../x.segue", None);
        check("models/a/b.segue", None);
        check("models/abc.blob", None);
        check("/etc/passwd", None);
        check("other/abc.segue", None);
        check("models\\abc.segue", None);
    }
}
