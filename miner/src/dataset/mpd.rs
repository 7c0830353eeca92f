//! Spotify Million Playlist Dataset JSON slices: whole files, parsed in parallel a bounded
//! batch at a time (memory stays flat), then interned in file order.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;

use super::builder::Builder;
use super::files::{label, open};
use super::{ReadError, ReadOptions, TrackMeta};
use crate::progress::Counters;

#[derive(Deserialize)]
struct Slice {
    playlists: Vec<Playlist>,
}

#[derive(Deserialize)]
struct Playlist {
    tracks: Vec<MpdTrack>,
}

#[derive(Deserialize)]
struct MpdTrack {
    track_uri: String,
    #[serde(default)]
    track_name: String,
    #[serde(default)]
    artist_name: String,
    #[serde(default)]
    album_name: String,
}

/// Reads MPD slices from the start of `files` (all slices) into `b`: as many as two per
/// thread. Returns how many files it read.
pub(super) fn read_batch(
    files: &[PathBuf],
    b: &mut Builder,
    options: ReadOptions,
) -> Result<usize, ReadError> {
    let batch = files.len().min(rayon::current_num_threads().max(1) * 2);
    let progress = &b.progress;
    let parsed: Vec<Result<Vec<Playlist>, ReadError>> = files[..batch]
        .par_iter()
        .map(|path| parse(path, progress))
        .collect();
    for (path, playlists) in files[..batch].iter().zip(parsed) {
        let playlists = match playlists {
            Ok(p) => p,
            Err(e) if options.skip_invalid => {
                b.skip(e.to_string());
                continue;
            }
            Err(e) => return Err(e),
        };
        b.labels.push(label(path));
        for playlist in playlists {
            for t in playlist.tracks {
                b.rows += 1;
                let id = b.intern.item(&t.track_uri, || TrackMeta {
                    uri: String::new(),
                    name: t.track_name.clone(),
                    artist: t.artist_name.clone(),
                    album: t.album_name.clone(),
                });
                b.current.push(id);
            }
            b.end_playlist();
        }
    }
    Ok(batch)
}

/// Parses one slice, whole.
fn parse(path: &Path, progress: &Arc<Counters>) -> Result<Vec<Playlist>, ReadError> {
    let mut bytes = Vec::new();
    open(path, progress)?
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
    serde_json::from_slice::<Slice>(&bytes)
        .map(|s| s.playlists)
        .map_err(|e| ReadError::Syntax {
            path: path.to_owned(),
            line: e.line() as u64,
            column: e.column() as u64,
            message: e.to_string(),
        })
}
