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

/// How the generated playlists are built: the structure a profile changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Profile {
    /// Its name (`miner synth --profile`).
    pub name: &'static str,
    /// Taste communities (themes) the artists are spread over.
    pub communities: usize,
    /// Chance that an entry comes from the playlist's communities rather than the whole
    /// catalog: the theme strength.
    pub community_pick: f64,
    /// Probability that a global pick is the most popular track: the popularity skew.
    pub top_global: f64,
    /// Same inside a community.
    pub top_community: f64,
    /// Shortest playlist.
    pub min_len: usize,
    /// Longest playlist.
    pub max_len: usize,
    /// Mean length above the shortest (lengths are exponential above it, then capped).
    pub mean_extra_len: f64,
    /// Chance that an entry follows the previous one's album.
    pub album_run: f64,
    /// Chance that an entry repeats a track already in the playlist.
    pub repeat: f64,
    /// Chance that an entry is a one-off: a track of no other playlist.
    pub one_off: f64,
}

impl Profile {
    /// The MPD's shape as `data.md` gives it: mean length about 66 (5 to 250), about 1.3%
    /// repeated entries, about 2.26 catalog tracks per playlist, the top track in a few
    /// percent of playlists; 100 themes, 70% of picks within them.
    pub const MPD: Profile = Profile {
        name: "mpd",
        communities: 100,
        community_pick: 0.7,
        top_global: 0.0016,
        top_community: 0.03,
        min_len: 5,
        max_len: 250,
        mean_extra_len: 64.0,
        album_run: 0.12,
        repeat: 0.013,
        one_off: 0.0,
    };

    /// Loose themes and a flat head: 400 themes, only 35% of picks within them, the top
    /// track half as likely, longer playlists (mean about 95), more repeats (2%) and 3% of
    /// entries one-off tracks. Co-occurrence carries less signal; popularity less still.
    pub const LOOSE: Profile = Profile {
        name: "loose",
        communities: 400,
        community_pick: 0.35,
        top_global: 0.0008,
        top_community: 0.015,
        min_len: 5,
        max_len: 250,
        mean_extra_len: 95.0,
        album_run: 0.05,
        repeat: 0.02,
        one_off: 0.03,
    };

    /// Strong themes and a steep head: 40 themes, 90% of picks within them, the top track
    /// three times as likely, short playlists (mean about 25, at most 100), few repeats
    /// (0.5%), 2% one-off entries.
    pub const NICHE: Profile = Profile {
        name: "niche",
        communities: 40,
        community_pick: 0.9,
        top_global: 0.005,
        top_community: 0.06,
        min_len: 5,
        max_len: 100,
        mean_extra_len: 20.0,
        album_run: 0.2,
        repeat: 0.005,
        one_off: 0.02,
    };

    /// Every profile, the default first.
    pub const ALL: [Profile; 3] = [Profile::MPD, Profile::LOOSE, Profile::NICHE];

    /// The profile named `name`.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name == name)
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::MPD
    }
}

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
    profile: Profile,
    tracks: Vec<CatalogTrack>,
    /// First track of each album, plus the end.
    album_start: Vec<u32>,
    /// Tracks of each community, ascending (so, by popularity).
    community_tracks: Vec<Vec<u32>>,
    community_exponent: Vec<f64>,
    global_exponent: f64,
}

impl Catalog {
    fn new(options: &SynthOptions, profile: Profile) -> Catalog {
        let target = ((options.playlists as f64) * 2.26).max(200.0) as usize;
        let mut rng = SplitMix64::new(hash(options.seed, 1, 0));
        let mut tracks = Vec::with_capacity(target + 16);
        let mut album_start = vec![0u32];
        let communities = profile.communities.max(1);
        let mut community_tracks = vec![Vec::new(); communities];
        let mut artist = 0u32;
        while tracks.len() < target {
            let community =
                (hash(options.seed, 2, u64::from(artist)) % communities as u64) as usize;
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
            .map(|t| exponent_for(t.len(), profile.top_community))
            .collect();
        let global_exponent = exponent_for(tracks.len(), profile.top_global);
        Catalog {
            seed: options.seed,
            profile,
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

    /// The track ids of playlist `pid` (a track may repeat). One-off tracks have ids past
    /// the catalog's, `catalog + pid × max_len + position`, each in this playlist alone.
    fn playlist(&self, pid: u64) -> Vec<u32> {
        let p = &self.profile;
        let mut rng = SplitMix64::new(hash(self.seed, 3, pid));
        let len =
            (p.min_len + (-p.mean_extra_len * (1.0 - rng.unit()).ln()) as usize).min(p.max_len);
        // Communities are themselves popular or niche.
        let communities = self.community_tracks.len();
        let community_exp = exponent_for(communities, 0.07);
        let primary = rng.skewed(communities, community_exp);
        let secondary = rng.skewed(communities, community_exp);
        let mut out: Vec<u32> = Vec::with_capacity(len);
        let mut seen = rustc_hash::FxHashSet::default();
        let mut tries = 0;
        let catalog = self.tracks.len() as u32;
        while out.len() < len {
            if !out.is_empty() && rng.chance(p.repeat) {
                out.push(out[rng.below(out.len())]); // a deliberate repeat
                continue;
            }
            if p.one_off > 0.0 && rng.chance(p.one_off) {
                out.push(catalog + (pid as usize * p.max_len + out.len()) as u32);
                continue;
            }
            let track = if let (Some(&prev), true) = (
                out.last().filter(|&&t| t < catalog),
                rng.chance(p.album_run),
            ) {
                let album = self.tracks[prev as usize].album as usize;
                let (start, end) = (self.album_start[album], self.album_start[album + 1]);
                start + rng.below((end - start) as usize) as u32
            } else if rng.chance(p.community_pick) {
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

    /// Album and artist of track `id`; a one-off track has an album and an artist of its own.
    fn meta(&self, id: u32) -> CatalogTrack {
        match self.tracks.get(id as usize) {
            Some(t) => t.clone(),
            None => {
                let extra = id - self.tracks.len() as u32;
                CatalogTrack {
                    album: self.album_start.len() as u32 + extra,
                    artist: self.tracks.last().map_or(0, |t| t.artist + 1) + extra,
                }
            }
        }
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
    write_profile(options, Profile::MPD, format, out)
}

/// [`write()`] with the structure of `profile`.
pub fn write_profile(
    options: &SynthOptions,
    profile: Profile,
    format: Format,
    out: &Path,
) -> io::Result<SynthSummary> {
    if format == Format::Parquet {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "synth writes csv, mpd or baskets, not parquet",
        ));
    }
    let catalog = Catalog::new(options, profile);
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
                    let track = &catalog.meta(t);
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
                        let track = &catalog.meta(t);
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

/// The playlists [`write_profile`] writes, as track ids (a track may repeat in a playlist),
/// generated in parallel and returned in order.
pub fn playlists(options: &SynthOptions, profile: Profile) -> Vec<Vec<u32>> {
    let catalog = Catalog::new(options, profile);
    (0..options.playlists as u64)
        .into_par_iter()
        .map(|pid| catalog.playlist(pid))
        .collect()
}

/// The statistics by which a profile is compared with the MPD (`data.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Playlists.
    pub playlists: usize,
    /// Mean entries per playlist (MPD: 66.35).
    pub mean_len: f64,
    /// Shortest and longest playlist (MPD: 5 and 250).
    pub len_range: (usize, usize),
    /// Share of entries that repeat a track already in their playlist (MPD: about 1.3%).
    pub repeated_entries: f64,
    /// Distinct tracks per playlist (MPD: 2.26).
    pub tracks_per_playlist: f64,
    /// Share of distinct tracks found in exactly one playlist.
    pub one_playlist_tracks: f64,
    /// Share of playlists holding the most frequent track (MPD: a few percent).
    pub top_track_share: f64,
    /// Share of playlists holding the 100th most frequent track.
    pub top100_track_share: f64,
}

impl Stats {
    /// The statistics of `playlists` (track ids; repeats allowed).
    pub fn of(playlists: &[Vec<u32>]) -> Stats {
        let n = playlists.len();
        if n == 0 {
            return Stats::default();
        }
        let mut count: rustc_hash::FxHashMap<u32, u32> = Default::default();
        let (mut entries, mut repeats) = (0usize, 0usize);
        let mut set = Vec::new();
        for p in playlists {
            entries += p.len();
            set.clear();
            set.extend_from_slice(p);
            set.sort_unstable();
            set.dedup();
            repeats += p.len() - set.len();
            for &t in &set {
                *count.entry(t).or_insert(0) += 1;
            }
        }
        let mut counts: Vec<u32> = count.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let share = |i: usize| counts.get(i).map_or(0.0, |&c| f64::from(c) / n as f64);
        Stats {
            playlists: n,
            mean_len: entries as f64 / n as f64,
            len_range: (
                playlists.iter().map(Vec::len).min().unwrap_or(0),
                playlists.iter().map(Vec::len).max().unwrap_or(0),
            ),
            repeated_entries: repeats as f64 / entries.max(1) as f64,
            tracks_per_playlist: counts.len() as f64 / n as f64,
            one_playlist_tracks: counts.iter().filter(|&&c| c == 1).count() as f64
                / counts.len().max(1) as f64,
            top_track_share: share(0),
            top100_track_share: share(99),
        }
    }
}
