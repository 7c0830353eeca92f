//! `miner synth`: playlists shaped like the Spotify Million Playlist Dataset, seeded and
//! deterministic. The demo's data and the benchmarks' data.
//!
//! The shape (see the data notes in the README):
//! - a catalog of about 2.26 tracks per playlist, grouped into artists and albums; artists come
//!   in popularity order, so a popular artist's tracks are popular together;
//! - taste communities: every artist belongs to one of 200 communities; a playlist draws most
//!   of its tracks from one or two communities (by popularity inside them), so that tracks of a
//!   community co-occur far above chance and real rules exist at supports of 0.05% to 5%;
//! - heavy-tailed popularity: the most popular track lands in about 4 to 5% of playlists;
//! - album runs (the next track from the same album), repeated tracks (about 1.3% of
//!   entries), names shared by different songs, some Unicode names;
//! - lengths from 5 to 250, about 66 on average.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::dataset::Format;
use engine::SplitMix64;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthOptions {
    /// Number of playlists.
    pub playlists: usize,
    /// Seed: the same seed gives the same bytes.
    pub seed: u64,
}

const COMMUNITIES: usize = 100;
const MIN_LEN: usize = 5;
const MAX_LEN: usize = 250;
const MEAN_EXTRA_LEN: f64 = 64.0;
/// Chance that an entry comes from the playlist's communities rather than the whole catalog.
const COMMUNITY_PICK: f64 = 0.7;
/// Chance that an entry follows the previous one's album.
const ALBUM_RUN: f64 = 0.12;
/// Chance that an entry repeats a track already in the playlist.
const REPEAT: f64 = 0.013;
/// Probability that a global pick is the most popular track (sets the head of the tail).
const TOP_GLOBAL: f64 = 0.0016;
/// Same inside a community.
const TOP_COMMUNITY: f64 = 0.03;

fn hash(seed: u64, a: u64, b: u64) -> u64 {
    SplitMix64::new(
        seed ^ a.wrapping_mul(0xA24B_AED4_963E_E407) ^ b.wrapping_mul(0x9FB2_1C65_1E98_DF25),
    )
    .next_u64()
}

/// The exponent `k` of `n × u^k` for which index 0 has probability `top`.
fn exponent_for(n: usize, top: f64) -> f64 {
    if n <= 1 {
        1.0
    } else {
        (n as f64).ln() / (1.0 / top).ln()
    }
}

const WORDS: &[&str] = &[
    "Love",
    "Night",
    "Closer",
    "Home",
    "Fire",
    "Heart",
    "Light",
    "Summer",
    "Dream",
    "Gold",
    "Stay",
    "Young",
    "Wild",
    "Rain",
    "Ocean",
    "Stars",
    "Forever",
    "Money",
    "Blue",
    "Dance",
    "Hold",
    "Lost",
    "Run",
    "Alive",
    "Sugar",
    "Paradise",
    "Faded",
    "Lonely",
    "Shine",
    "River",
    "Roses",
    "Electric",
    "Midnight",
    "Tonight",
    "Crazy",
    "Falling",
    "Ghost",
    "Higher",
    "Honey",
    "Kids",
    "Magic",
    "Mirror",
    "Moon",
    "Ride",
    "Smile",
    "Storm",
    "Sunday",
    "Thunder",
    "Wonder",
    "Body",
    "Broken",
    "City",
    "Cold",
    "Daylight",
    "Drive",
    "Echo",
    "Feel",
    "Free",
    "Gravity",
    "Happy",
    "Hurt",
    "Kiss",
    "Lights",
    "Memories",
    "Never",
    "Often",
    "Photograph",
    "Pretty",
    "Sorry",
    "Sweet",
    "Time",
    "Wave",
    "Corazón",
    "Été",
    "Señorita",
    "Mañana",
    "Für",
    "Élan",
    "Niño",
    "Sjön",
    "Ljós",
    "Sól",
    "Cœur",
    "Über",
    "Café",
    "夜",
    "駆ける",
    "桜",
    "東京",
    "사랑",
    "별",
    "Σίσυφος",
    "Любовь",
    "Ночь",
    "Día",
    "Canción",
    "Noël",
    "Ångest",
];

fn words(h: u64, n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[((h >> (i * 12)) as usize) % WORDS.len()]);
    }
    out
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn spotify_uri(kind: &str, seed: u64, id: u64) -> String {
    let mut s = format!("spotify:{kind}:");
    let mut rng = SplitMix64::new(hash(seed, id, kind.len() as u64));
    for _ in 0..22 {
        s.push(BASE62[rng.below(62)] as char);
    }
    s
}

/// One track of the catalog.
#[derive(Clone, Debug)]
struct CatalogTrack {
    album: u32,
    artist: u32,
}

/// Artists, albums and tracks, in popularity order of the artists.
struct Catalog {
    seed: u64,
    tracks: Vec<CatalogTrack>,
    /// First track of each album, plus the end.
    album_start: Vec<u32>,
    /// Tracks of each community, ascending (so, by popularity).
    community_tracks: Vec<Vec<u32>>,
    community_exponent: Vec<f64>,
    global_exponent: f64,
}

impl Catalog {
    fn new(options: &SynthOptions) -> Catalog {
        let target = ((options.playlists as f64) * 2.26).max(200.0) as usize;
        let mut rng = SplitMix64::new(hash(options.seed, 1, 0));
        let mut tracks = Vec::with_capacity(target + 16);
        let mut album_start = vec![0u32];
        let mut community_tracks = vec![Vec::new(); COMMUNITIES];
        let mut artist = 0u32;
        while tracks.len() < target {
            let community =
                (hash(options.seed, 2, u64::from(artist)) % COMMUNITIES as u64) as usize;
            for _ in 0..1 + rng.below(4) {
                let album = (album_start.len() - 1) as u32;
                for _ in 0..2 + rng.below(13) {
                    community_tracks[community].push(tracks.len() as u32);
                    tracks.push(CatalogTrack { album, artist });
                }
                album_start.push(tracks.len() as u32);
            }
            artist += 1;
        }
        let community_exponent = community_tracks
            .iter()
            .map(|t| exponent_for(t.len(), TOP_COMMUNITY))
            .collect();
        let global_exponent = exponent_for(tracks.len(), TOP_GLOBAL);
        Catalog {
            seed: options.seed,
            tracks,
            album_start,
            community_tracks,
            community_exponent,
            global_exponent,
        }
    }

    fn pick_in(&self, rng: &mut SplitMix64, community: usize) -> u32 {
        let list = &self.community_tracks[community];
        if list.is_empty() {
            return rng.skewed(self.tracks.len(), self.global_exponent) as u32;
        }
        list[rng.skewed(list.len(), self.community_exponent[community])]
    }

    /// The track ids of playlist `pid` (a track may repeat).
    fn playlist(&self, pid: u64) -> Vec<u32> {
        let mut rng = SplitMix64::new(hash(self.seed, 3, pid));
        let len = (MIN_LEN + (-MEAN_EXTRA_LEN * (1.0 - rng.unit()).ln()) as usize).min(MAX_LEN);
        // Communities are themselves popular or niche.
        let community_exp = exponent_for(COMMUNITIES, 0.07);
        let primary = rng.skewed(COMMUNITIES, community_exp);
        let secondary = rng.skewed(COMMUNITIES, community_exp);
        let mut out: Vec<u32> = Vec::with_capacity(len);
        let mut seen = rustc_hash::FxHashSet::default();
        let mut tries = 0;
        while out.len() < len {
            if !out.is_empty() && rng.chance(REPEAT) {
                out.push(out[rng.below(out.len())]); // a deliberate repeat
                continue;
            }
            let track = if let (Some(&prev), true) = (out.last(), rng.chance(ALBUM_RUN)) {
                let album = self.tracks[prev as usize].album as usize;
                let (start, end) = (self.album_start[album], self.album_start[album + 1]);
                start + rng.below((end - start) as usize) as u32
            } else if rng.chance(COMMUNITY_PICK) {
                let community = if rng.chance(0.75) { primary } else { secondary };
                self.pick_in(&mut rng, community)
            } else {
                rng.skewed(self.tracks.len(), self.global_exponent) as u32
            };
            // An accidental repeat is drawn again (a few times, then accepted).
            tries += 1;
            if seen.insert(track) || tries > 8 {
                out.push(track);
                tries = 0;
            }
        }
        out
    }

    fn track_name(&self, id: u32) -> String {
        let h = hash(self.seed, 4, u64::from(id));
        // Two thirds of names have one or two words from a small vocabulary: many collide.
        words(
            h,
            1 + h.is_multiple_of(3) as usize + h.is_multiple_of(7) as usize,
        )
    }

    fn artist_name(&self, artist: u32) -> String {
        let h = hash(self.seed, 5, u64::from(artist));
        format!(
            "{} {}",
            if h.is_multiple_of(4) { "The" } else { "" },
            words(h >> 8, 1 + !h.is_multiple_of(3) as usize)
        )
        .trim()
        .to_owned()
    }

    fn album_name(&self, album: u32) -> String {
        words(hash(self.seed, 6, u64::from(album)), 2)
    }
}

/// Figures about what was generated.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SynthSummary {
    /// Playlists written.
    pub playlists: usize,
    /// Playlist entries written.
    pub rows: u64,
    /// Tracks in the catalog.
    pub catalog: usize,
}

/// Writes `options.playlists` playlists in `format` to `out` (a file; a directory of
/// `mpd.slice.*.json` files for MPD).
pub fn write(options: &SynthOptions, format: Format, out: &Path) -> io::Result<SynthSummary> {
    if format == Format::Parquet {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "synth writes csv, mpd or baskets, not parquet",
        ));
    }
    let catalog = Catalog::new(options);
    let mut summary = SynthSummary {
        playlists: options.playlists,
        rows: 0,
        catalog: catalog.tracks.len(),
    };
    const CHUNK: usize = 1_000; // one MPD slice
    let chunks = options.playlists.div_ceil(CHUNK);
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut file = match format {
        Format::Mpd => {
            fs::create_dir_all(out)?;
            None
        }
        _ => Some(BufWriter::with_capacity(1 << 20, File::create(out)?)),
    };
    if let (Some(f), Format::Csv) = (file.as_mut(), format) {
        writeln!(
            f,
            "pid,track_name,track_uri,album_name,album_uri,artist_name,artist_uri,duration_ms"
        )?;
    }
    // Generate batches of chunks in parallel, write them in order.
    let batch = rayon::current_num_threads().max(1) * 8;
    for first in (0..chunks).step_by(batch) {
        let rendered: Vec<(Vec<u8>, u64)> = (first..(first + batch).min(chunks))
            .into_par_iter()
            .map(|chunk| {
                let start = chunk * CHUNK;
                let end = (start + CHUNK).min(options.playlists);
                render(&catalog, format, start, end)
            })
            .collect::<io::Result<_>>()?;
        for (i, (bytes, rows)) in rendered.into_iter().enumerate() {
            summary.rows += rows;
            match file.as_mut() {
                Some(f) => f.write_all(&bytes)?,
                None => {
                    let start = (first + i) * CHUNK;
                    let name = format!("mpd.slice.{start}-{}.json", start + CHUNK - 1);
                    fs::write(out.join(name), bytes)?;
                }
            }
        }
    }
    if let Some(mut f) = file {
        f.flush()?;
    }
    Ok(summary)
}

fn render(
    catalog: &Catalog,
    format: Format,
    start: usize,
    end: usize,
) -> io::Result<(Vec<u8>, u64)> {
    let mut buf = Vec::new();
    let mut rows = 0u64;
    let seed = catalog.seed;
    match format {
        Format::Baskets | Format::Auto | Format::Parquet => {
            for pid in start..end {
                let tracks = catalog.playlist(pid as u64);
                rows += tracks.len() as u64;
                let line: Vec<String> = tracks.iter().map(u32::to_string).collect();
                buf.extend_from_slice(line.join(" ").as_bytes());
                buf.push(b'\n');
            }
        }
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut buf);
            for pid in start..end {
                for t in catalog.playlist(pid as u64) {
                    rows += 1;
                    let track = &catalog.tracks[t as usize];
                    w.write_record([
                        pid.to_string(),
                        catalog.track_name(t),
                        spotify_uri("track", seed, u64::from(t)),
                        catalog.album_name(track.album),
                        spotify_uri("album", seed, u64::from(track.album)),
                        catalog.artist_name(track.artist),
                        spotify_uri("artist", seed, u64::from(track.artist)),
                        (120_000 + hash(seed, 7, u64::from(t)) % 240_000).to_string(),
                    ])?;
                }
            }
            w.flush()?;
        }
        Format::Mpd => {
            let mut playlists = Vec::with_capacity(end - start);
            for pid in start..end {
                let ids = catalog.playlist(pid as u64);
                rows += ids.len() as u64;
                let tracks: Vec<serde_json::Value> = ids
                    .iter()
                    .enumerate()
                    .map(|(pos, &t)| {
                        let track = &catalog.tracks[t as usize];
                        serde_json::json!({
                            "pos": pos,
                            "artist_name": catalog.artist_name(track.artist),
                            "track_uri": spotify_uri("track", seed, u64::from(t)),
                            "artist_uri": spotify_uri("artist", seed, u64::from(track.artist)),
                            "track_name": catalog.track_name(t),
                            "album_uri": spotify_uri("album", seed, u64::from(track.album)),
                            "duration_ms": 120_000 + hash(seed, 7, u64::from(t)) % 240_000,
                            "album_name": catalog.album_name(track.album),
                        })
                    })
                    .collect();
                playlists.push(serde_json::json!({
                    "name": format!("playlist {pid}"),
                    "collaborative": "false",
                    "pid": pid,
                    "modified_at": 1_500_000_000 + pid as u64,
                    "num_tracks": ids.len(),
                    "num_albums": 0,
                    "num_followers": 1,
                    "num_edits": 1,
                    "duration_ms": 0,
                    "num_artists": 0,
                    "tracks": tracks,
                }));
            }
            let slice = serde_json::json!({
                "info": {
                    "slice": format!("{start}-{}", start + 999),
                    "version": "v1",
                    "description": "generated by `miner synth`",
                    "license": "synthetic data",
                    "generated_on": "1970-01-01 00:00:00",
                },
                "playlists": playlists,
            });
            serde_json::to_writer(&mut buf, &slice)?;
        }
    }
    Ok((buf, rows))
}
