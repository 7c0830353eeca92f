//! `miner synth`: deterministic, MPD-shaped, readable in every format.

use miner::dataset::{Format, ReadOptions, read};
use miner::synth::{SynthOptions, write};

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generate = |seed, name: &str| {
        let path = dir.path().join(name);
        write(
            &SynthOptions {
                playlists: 2_500,
                seed,
            },
            Format::Csv,
            &path,
        )
        .expect("writes");
        std::fs::read(path).expect("reads")
    };
    assert_eq!(generate(7, "a.csv"), generate(7, "b.csv"));
    assert_ne!(generate(7, "a.csv"), generate(8, "c.csv"));
}

#[test]
fn the_three_formats_hold_the_same_playlists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = SynthOptions {
        playlists: 2_100,
        seed: 3,
    };
    let read_as = |format: Format, name: &str| {
        let path = dir.path().join(name);
        let summary = write(&options, format, &path).expect("writes");
        let files = miner::dataset::discover(&[path], Format::Auto)
            .expect("lists")
            .paths();
        let d = read(
            &files,
            ReadOptions {
                format: Format::Auto,
                skip_invalid: false,
            },
        )
        .expect("reads");
        assert_eq!(d.rows, summary.rows);
        d
    };
    let csv = read_as(Format::Csv, "s.csv");
    let mpd = read_as(Format::Mpd, "mpd");
    let baskets = read_as(Format::Baskets, "s.dat");
    assert_eq!(csv.transactions.len(), 2_100);
    assert_eq!(mpd.labels.len(), 3, "three slices of up to 1,000 playlists");
    // Same structure: identical playlist sizes, and the same tracks up to renaming.
    let sizes =
        |d: &miner::dataset::Dataset| d.transactions.iter().map(<[u32]>::len).collect::<Vec<_>>();
    assert_eq!(sizes(&csv), sizes(&baskets));
    assert_eq!(sizes(&mpd), sizes(&baskets));
    assert_eq!(csv.tracks.len(), baskets.tracks.len());
    assert!(
        csv.tracks
            .iter()
            .all(|t| t.uri.starts_with("spotify:track:") && t.uri.len() == 36)
    );
}

#[test]
fn mpd_like_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.dat");
    let summary = write(
        &SynthOptions {
            playlists: 20_000,
            seed: 1,
        },
        Format::Baskets,
        &path,
    )
    .expect("writes");
    let d = read(
        &[path],
        ReadOptions {
            format: Format::Baskets,
            skip_invalid: false,
        },
    )
    .expect("reads");
    let n = d.transactions.len() as f64;
    let mean = summary.rows as f64 / n;
    assert!((60.0..72.0).contains(&mean), "mean length {mean}");
    let lens: Vec<usize> = d.transactions.iter().map(<[u32]>::len).collect();
    assert!(lens.iter().all(|&l| l <= 250) && lens.iter().any(|&l| l >= 200));
    let repeats = 1.0 - d.transactions.items.len() as f64 / summary.rows as f64;
    assert!(
        (0.005..0.03).contains(&repeats),
        "repeated entries {repeats}"
    );
    let counts = miner::fpgrowth::item_counts(&d.transactions, d.tracks.len());
    let top = *counts.iter().max().expect("tracks") as f64 / n;
    assert!(
        (0.03..0.08).contains(&top),
        "most popular track in {top} of playlists"
    );
    // Communities make pairs frequent well above what independent tracks would give.
    let sets =
        miner::fpgrowth::frequent_itemsets(&d.transactions, d.tracks.len(), (0.005 * n) as u32, 3);
    assert!(
        sets.iter().filter(|s| s.items.len() == 2).count() > 20,
        "frequent pairs at 0.5% support"
    );
}

/// Each profile produces the statistics its documentation (and docs/quality.md) claims.
#[test]
fn profiles_produce_the_statistics_they_claim() {
    use miner::synth::{Profile, Stats, playlists};
    let options = SynthOptions {
        playlists: 20_000,
        seed: 1,
    };
    let stats = |p: Profile| Stats::of(&playlists(&options, p));
    let within = |x: f64, lo: f64, hi: f64, what: &str| {
        assert!(
            (lo..=hi).contains(&x),
            "{what}: {x} not within [{lo}, {hi}]"
        );
    };
    // mpd: the MPD's figures from data.md.
    let mpd = stats(Profile::MPD);
    within(mpd.mean_len, 63.0, 70.0, "mpd mean length (MPD 66.35)");
    assert_eq!(mpd.len_range, (5, 250), "mpd lengths 5 to 250");
    within(
        mpd.repeated_entries,
        0.011,
        0.016,
        "mpd repeated entries (MPD ~1.3%)",
    );
    within(
        mpd.tracks_per_playlist,
        2.1,
        2.4,
        "mpd tracks per playlist (MPD 2.26)",
    );
    within(
        mpd.top_track_share,
        0.02,
        0.08,
        "mpd top track (MPD: a few percent)",
    );
    // loose: longer, more repeats, many one-offs, a flatter head than mpd.
    let loose = stats(Profile::LOOSE);
    within(loose.mean_len, 90.0, 105.0, "loose mean length");
    within(
        loose.repeated_entries,
        0.017,
        0.024,
        "loose repeated entries",
    );
    within(
        loose.one_playlist_tracks,
        0.4,
        0.7,
        "loose one-playlist tracks",
    );
    assert!(
        loose.top_track_share < mpd.top_track_share,
        "loose: a flatter head"
    );
    // niche: short, capped at 100, few repeats, some one-offs.
    let niche = stats(Profile::NICHE);
    within(niche.mean_len, 22.0, 27.0, "niche mean length");
    assert_eq!(niche.len_range, (5, 100), "niche lengths 5 to 100");
    within(
        niche.repeated_entries,
        0.003,
        0.007,
        "niche repeated entries",
    );
    within(
        niche.one_playlist_tracks,
        0.1,
        0.35,
        "niche one-playlist tracks",
    );
    assert!(mpd.one_playlist_tracks < 0.01, "mpd has no one-off tracks");
    // Profiles change the playlists, not just their statistics' noise.
    assert_ne!(
        playlists(&options, Profile::MPD)[..10],
        playlists(&options, Profile::NICHE)[..10]
    );
}

/// Every format holds a profile's one-off tracks (they have metadata of their own).
#[test]
fn one_off_tracks_are_written_in_every_format() {
    use miner::synth::{Profile, write_profile};
    let dir = tempfile::tempdir().expect("tempdir");
    let options = SynthOptions {
        playlists: 1_200,
        seed: 2,
    };
    let mut tracks = Vec::new();
    for (format, name) in [
        (Format::Csv, "l.csv"),
        (Format::Mpd, "mpd"),
        (Format::Baskets, "l.dat"),
    ] {
        let path = dir.path().join(name);
        write_profile(&options, Profile::LOOSE, format, &path).expect("writes");
        let files = miner::dataset::discover(&[path], Format::Auto)
            .expect("lists")
            .paths();
        let d = read(
            &files,
            ReadOptions {
                format: Format::Auto,
                skip_invalid: false,
            },
        )
        .expect("reads");
        tracks.push(d.tracks.len());
    }
    assert!(tracks.iter().all(|&t| t == tracks[0]), "{tracks:?}");
}
