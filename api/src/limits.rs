//! Bounds on what one request may ask, with their defaults, and the check of a request
//! against them. The server's flags (`SEGUE_MAX_*`), its OpenAPI document and its answers all
//! read these.

use crate::RecommendRequest;

/// Bounds on what one request may ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Limits {
    /// Most seed songs in one request.
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_SONGS", default_value_t = Limits::DEFAULT.max_songs))]
    pub max_songs: usize,

    /// Longest seed song, in characters (Unicode code points, as JSON Schema's `maxLength`
    /// counts them).
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_SONG_CHARS", default_value_t = Limits::DEFAULT.max_song_chars))]
    pub max_song_chars: usize,

    /// Largest `k` (tracks in an answer).
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_K", default_value_t = Limits::DEFAULT.max_k))]
    pub max_k: usize,

    /// Largest request body, in bytes.
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_BODY_BYTES", default_value_t = Limits::DEFAULT.max_body_bytes))]
    pub max_body_bytes: usize,

    /// Largest request head (the request line and the header lines), in bytes: a larger one
    /// is answered 431 `headers_too_large`. A head over twice this is not read to its end: it
    /// gets a 431 without a body and the connection closes.
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_HEADER_BYTES", default_value_t = Limits::DEFAULT.max_header_bytes))]
    pub max_header_bytes: usize,
}

impl Limits {
    /// The defaults: what the server enforces unless configured otherwise.
    pub const DEFAULT: Limits = Limits {
        max_songs: 100,
        max_song_chars: 500,
        max_k: 100,
        max_body_bytes: 64 * 1024,
        max_header_bytes: 16 * 1024,
    };

    /// What `k` is when a request does not give it: the engine's default, or `max_k` if that
    /// is smaller (a request the document allows is never refused for a value it did not
    /// send).
    pub fn default_k(&self) -> usize {
        engine::DEFAULT_K.min(self.max_k)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why a well-formed request cannot be answered (a 400).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Machine-readable reason, e.g. `empty_songs`.
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

impl Invalid {
    fn new(code: &'static str, message: impl Into<String>) -> Invalid {
        Invalid {
            code,
            message: message.into(),
        }
    }

    /// An `invalid_query`.
    pub(crate) fn query(message: impl Into<String>) -> Invalid {
        Invalid::new("invalid_query", message)
    }
}

impl RecommendRequest {
    /// Checks the request against `limits`; the engine's options for it if it is within them.
    pub fn validate(&self, limits: &Limits) -> Result<engine::Options, Invalid> {
        if self.songs.is_empty() {
            return Err(Invalid::new(
                "empty_songs",
                "`songs` is empty: give at least one song name or track URI",
            ));
        }
        if self.songs.len() > limits.max_songs {
            return Err(Invalid::new(
                "too_many_songs",
                format!(
                    "`songs` has {} entries; at most {} are allowed",
                    self.songs.len(),
                    limits.max_songs
                ),
            ));
        }
        // Characters, as JSON Schema's `maxLength` counts them (the OpenAPI document states
        // this limit). No song can have more characters than bytes: most need no count.
        if let Some((i, chars)) = self.songs.iter().enumerate().find_map(|(i, s)| {
            let chars = if s.len() > limits.max_song_chars {
                s.chars().count()
            } else {
                s.len()
            };
            (chars > limits.max_song_chars).then_some((i, chars))
        }) {
            return Err(Invalid::new(
                "song_too_long",
                format!(
                    "`songs[{i}]` is {chars} characters long; at most {} are allowed",
                    limits.max_song_chars
                ),
            ));
        }
        let k = self.k.unwrap_or_else(|| limits.default_k());
        if k == 0 || k > limits.max_k {
            return Err(Invalid::new(
                "invalid_k",
                format!("`k` is {k}; it must be between 1 and {}", limits.max_k),
            ));
        }
        Ok(engine::Options {
            k,
            strategy: self.strategy.map(Into::into).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(songs: &[&str], k: Option<usize>, expect: Result<usize, &str>) {
        let request = RecommendRequest {
            songs: songs.iter().map(|s| (*s).to_owned()).collect(),
            k,
            strategy: None,
        };
        let limits = Limits {
            max_songs: 3,
            max_song_chars: 5,
            max_k: 7,
            ..Limits::DEFAULT
        };
        let got = request.validate(&limits).map(|o| o.k).map_err(|e| e.code);
        assert_eq!(got, expect);
    }

    #[test]
    fn requests_are_checked_against_the_limits() {
        // No `k`: the engine's default (10), capped at this `max_k`.
        check(&["a"], None, Ok(7));
        check(&["a"], Some(7), Ok(7));
        check(&["a"], Some(1), Ok(1));
        check(&["a"], Some(0), Err("invalid_k"));
        check(&["a"], Some(8), Err("invalid_k"));
        check(&[], Some(1), Err("empty_songs"));
        check(&["a", "b", "c"], Some(1), Ok(1));
        check(&["a", "b", "c", "d"], Some(1), Err("too_many_songs"));
        check(&["12345"], Some(1), Ok(1));
        check(&["123456"], Some(1), Err("song_too_long"));
        // Characters, not bytes: five two-byte and five four-byte characters are five.
        check(&["ñññññ"], Some(1), Ok(1));
        check(&["🎵🎵🎵🎵🎵"], Some(1), Ok(1));
        check(&["🎵🎵🎵🎵🎵🎵"], Some(1), Err("song_too_long"));
    }

    #[test]
    fn the_default_k_is_within_the_default_limits() {
        let request = RecommendRequest {
            songs: vec!["a".into()],
            k: None,
            strategy: None,
        };
        let options = request.validate(&Limits::DEFAULT).unwrap();
        assert_eq!(options.k, engine::DEFAULT_K);
        assert_eq!(options.strategy, engine::Strategy::default());
    }
}
