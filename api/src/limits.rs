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

    /// Longest seed song, in bytes of UTF-8.
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_SONG_BYTES", default_value_t = Limits::DEFAULT.max_song_bytes))]
    pub max_song_bytes: usize,

    /// Largest `k` (tracks in an answer).
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_K", default_value_t = Limits::DEFAULT.max_k))]
    pub max_k: usize,

    /// Largest request body, in bytes.
    #[cfg_attr(feature = "clap", arg(long, env = "SEGUE_MAX_BODY_BYTES", default_value_t = Limits::DEFAULT.max_body_bytes))]
    pub max_body_bytes: usize,
}

impl Limits {
    /// The defaults: what the server enforces unless configured otherwise.
    pub const DEFAULT: Limits = Limits {
        max_songs: 100,
        max_song_bytes: 500,
        max_k: 100,
        max_body_bytes: 64 * 1024,
    };
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
        if let Some((i, song)) = self
            .songs
            .iter()
            .enumerate()
            .find(|(_, s)| s.len() > limits.max_song_bytes)
        {
            return Err(Invalid::new(
                "song_too_long",
                format!(
                    "`songs[{i}]` is {} bytes long; at most {} are allowed",
                    song.len(),
                    limits.max_song_bytes
                ),
            ));
        }
        let k = self.k.unwrap_or(engine::DEFAULT_K);
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
            max_song_bytes: 5,
            max_k: 7,
            ..Limits::DEFAULT
        };
        let got = request.validate(&limits).map(|o| o.k).map_err(|e| e.code);
        assert_eq!(got, expect);
    }

    #[test]
    fn requests_are_checked_against_the_limits() {
        // No `k`: the engine's default (10), over this `max_k`.
        check(&["a"], None, Err("invalid_k"));
        check(&["a"], Some(7), Ok(7));
        check(&["a"], Some(1), Ok(1));
        check(&["a"], Some(0), Err("invalid_k"));
        check(&["a"], Some(8), Err("invalid_k"));
        check(&[], Some(1), Err("empty_songs"));
        check(&["a", "b", "c"], Some(1), Ok(1));
        check(&["a", "b", "c", "d"], Some(1), Err("too_many_songs"));
        check(&["12345"], Some(1), Ok(1));
        check(&["123456"], Some(1), Err("song_too_long"));
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
