//! Reading datasets: every format, gzip, and errors that say where.

use std::io::Write;
use std::path::{Path, PathBuf};

use miner::dataset::{Dataset, Format, ReadError, ReadOptions, ReadRequest, discover, read};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes");
    path
}

fn gzip(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).expect("creates"),
        flate2::Compression::fast(),
    );
    enc.write_all(text.as_bytes()).expect("writes");
    enc.finish().expect("finishes");
    path
}

fn opts(format: Format, skip_invalid: bool) -> ReadOptions {
    ReadOptions {
        format,
        skip_invalid,
    }
}

fn playlists(d: &Dataset) -> Vec<Vec<&str>> {
    d.transactions
        .iter()
        .map(|t| {
            t.iter()
                .map(|&i| d.tracks[i as usize].uri.as_str())
                .collect()
        })
        .collect()
}

const CSV: &str = "\
pid,track_name,track_uri,album_name,album_uri,artist_name,artist_uri,duration_ms
0,\"Closer\",spotify:track:a,Collage,spotify:album:x,The Chainsmokers,spotify:artist:y,244960
0,\"Hello, \"\"World\"\"\",spotify:track:b,\"Album, with comma\",spotify:album:z,Ólafur Arnalds,spotify:artist:w,1000
0,Closer,spotify:track:a,Collage,spotify:album:x,The Chainsmokers,spotify:artist:y,244960
1,夜に駆ける,spotify:track:c,THE BOOK,spotify:album:q,YOASOBI,spotify:artist:r,261000
1,Closer,spotify:track:d,The Downward Spiral,spotify:album:s,Nine Inch Nails,spotify:artist:t,373000
";

#[test]
fn course_csv_with_quotes_commas_unicode_and_repeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "ds1.csv", CSV);
    let d = read(&[path], opts(Format::Auto, false)).expect("reads");
    assert_eq!(
        playlists(&d),
        [
            vec!["spotify:track:a", "spotify:track:b"],
            vec!["spotify:track:c", "spotify:track:d"]
        ]
    );
    assert_eq!(d.rows, 5, "a repeated track counts as a row");
    assert_eq!(d.tracks[1].name, "Hello, \"World\"");
    assert_eq!(d.tracks[1].album, "Album, with comma");
    assert_eq!(d.tracks[1].artist, "Ólafur Arnalds");
    assert_eq!(d.tracks[2].name, "夜に駆ける");
    assert_eq!(d.labels, ["ds1.csv"]);
}

/// URIs up to 39 bytes are keyed inline in the reader's index, longer ones by `String`: keys
/// on both sides of that boundary, sharing prefixes or differing only in length, stay distinct
/// and each is found again, in CSV and in baskets.
#[test]
fn uris_on_both_sides_of_the_inline_key_length_stay_distinct() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys: Vec<String> = [38, 39, 40, 41, 80]
        .iter()
        .flat_map(|&n| {
            let base = "u".repeat(n - 1);
            [format!("{base}a"), format!("{base}b"), "u".repeat(n)]
        })
        .chain(["u".into(), "uu".into()])
        .collect();
    // Playlist p holds every key but the p-th, each twice: all ids must be found again.
    let mut csv = String::from("pid,track_uri\n");
    let mut baskets = String::new();
    for p in 0..keys.len() {
        let others: Vec<&str> = (0..keys.len())
            .filter(|&i| i != p)
            .map(|i| keys[i].as_str())
            .collect();
        for key in others.iter().chain(&others) {
            csv.push_str(&format!("{p},{key}\n"));
        }
        baskets.push_str(&others.join(" "));
        baskets.push('\n');
    }
    for path in [
        write(dir.path(), "keys.csv", &csv),
        write(dir.path(), "keys.dat", &baskets),
    ] {
        let d = read(&[path], opts(Format::Auto, false)).expect("reads");
        assert_eq!(d.tracks.len(), keys.len());
        let mut expected: Vec<Vec<&str>> = (0..keys.len())
            .map(|p| {
                let mut t: Vec<&str> = (0..keys.len())
                    .filter(|&i| i != p)
                    .map(|i| keys[i].as_str())
                    .collect();
                t.sort_unstable_by_key(|k| keys.iter().position(|x| x == k));
                t
            })
            .collect();
        let mut got = playlists(&d);
        for t in &mut got {
            t.sort_unstable_by_key(|k| keys.iter().position(|x| x == k));
        }
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
    }
}

#[test]
fn csv_columns_in_any_order_gzipped_and_interleaved_pids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "track_uri,pid,track_name,artist_name,album_name\nu1,7,One,A,X\nu2,8,Two,B,Y\nu3,7,Three,C,Z\n";
    let path = gzip(dir.path(), "ds.csv.gz", text);
    let d = read(&[path], opts(Format::Auto, false)).expect("reads");
    assert_eq!(playlists(&d), [vec!["u1", "u3"], vec!["u2"]]);
}

#[test]
fn csv_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = write(dir.path(), "missing.csv", "pid,track_name\n0,x\n");
    let err = read(std::slice::from_ref(&missing), opts(Format::Csv, false)).expect_err("fails");
    assert!(
        matches!(
            err,
            ReadError::MissingColumn {
                column: "track_uri",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("missing.csv: missing column `track_uri`"),
        "{err}"
    );

    let bad = write(
        dir.path(),
        "bad.csv",
        "pid,track_uri,track_name\n0,u1,a\n0,,b\n1,u2\n1,u3,c\n",
    );
    let err = read(std::slice::from_ref(&bad), opts(Format::Csv, false)).expect_err("fails");
    assert_eq!(
        err.to_string(),
        format!("{}:3:2: empty track_uri", bad.display())
    );

    let d = read(&[bad], opts(Format::Csv, true)).expect("skips");
    assert_eq!(d.skipped, 2);
    assert_eq!(playlists(&d), [vec!["u1"], vec!["u3"]]);
    assert!(
        d.skip_reasons[1].contains(":4:1: expected 3 fields, found 2"),
        "{:?}",
        d.skip_reasons
    );
}

#[test]
fn csv_errors_across_parse_batches_keep_their_place() {
    // Rows are parsed a batch ahead on another thread: errors deep in a file, in UTF-8 or in
    // the row shape, must still name their line, stop the read, or be skipped in order.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = b"pid,track_uri,track_name\n".to_vec();
    for row in 0..5000u32 {
        match row {
            1500 => text.extend_from_slice(b"30,bad,\xff\xfe\n"),
            3100 => text.extend_from_slice(b"62,short\n"),
            _ => text.extend_from_slice(format!("{},t{},n\n", row / 50, row % 97).as_bytes()),
        }
    }
    let path = dir.path().join("long.csv");
    std::fs::write(&path, &text).expect("writes");
    let err = read(std::slice::from_ref(&path), opts(Format::Csv, false)).expect_err("fails");
    assert_eq!(
        err.to_string(),
        format!("{}:1502:3: invalid UTF-8", path.display())
    );
    let d = read(&[path], opts(Format::Csv, true)).expect("skips");
    assert_eq!((d.skipped, d.rows, d.transactions.len()), (2, 4998, 100));
    assert!(
        d.skip_reasons[0].contains(":1502:3: invalid UTF-8"),
        "{:?}",
        d.skip_reasons
    );
    assert!(
        d.skip_reasons[1].contains(":3102:1: expected 3 fields, found 2"),
        "{:?}",
        d.skip_reasons
    );
    assert!(d.tracks.iter().all(|t| t.uri != "bad" && t.uri != "short"));
}

#[test]
fn mpd_slices_from_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let slice = |start: u32, tracks: &[(&str, &str)]| {
        let tracks: Vec<String> = tracks
            .iter()
            .enumerate()
            .map(|(pos, (uri, name))| {
                format!(
                    r#"{{"pos": {pos}, "artist_name": "Artist", "track_uri": "{uri}", "artist_uri": "spotify:artist:a", "track_name": "{name}", "album_uri": "spotify:album:b", "duration_ms": 1, "album_name": "Album"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"info": {{"slice": "{start}-{}", "version": "v1"}}, "playlists": [{{"name": "p", "collaborative": "false", "pid": {start}, "modified_at": 1, "num_tracks": {n}, "num_albums": 1, "num_followers": 1, "num_edits": 1, "duration_ms": 1, "num_artists": 1, "tracks": [{}]}}]}}"#,
            start + 999,
            tracks.join(","),
            n = tracks.len()
        )
    };
    write(
        dir.path(),
        "mpd.slice.0-999.json",
        &slice(
            0,
            &[
                ("spotify:track:a", "A"),
                ("spotify:track:b", "Bé"),
                ("spotify:track:a", "A"),
            ],
        ),
    );
    gzip(
        dir.path(),
        "mpd.slice.1000-1999.json.gz",
        &slice(1000, &[("spotify:track:b", "Bé"), ("spotify:track:c", "C")]),
    );
    write(dir.path(), "README.md", "not a dataset");
    let files = discover(&[dir.path().to_owned()], Format::Auto)
        .expect("lists")
        .paths();
    assert_eq!(files.len(), 2);
    let d = read(&files, opts(Format::Auto, false)).expect("reads");
    assert_eq!(
        playlists(&d),
        [
            vec!["spotify:track:a", "spotify:track:b"],
            vec!["spotify:track:b", "spotify:track:c"]
        ]
    );
    assert_eq!(d.tracks[1].name, "Bé");
    assert_eq!(d.rows, 5);

    let broken = write(
        dir.path(),
        "mpd.slice.2000-2999.json",
        "{\"playlists\": [{\"tracks\": [}]}",
    );
    let err = read(std::slice::from_ref(&broken), opts(Format::Mpd, false)).expect_err("fails");
    assert!(
        matches!(
            err,
            ReadError::Syntax {
                line: 1,
                column: 28,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{}:1:28:", broken.display())),
        "{err}"
    );
}

#[test]
fn baskets_and_their_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "retail.dat", "1 2 3\n\n3  2\t9 3\n");
    let d = read(&[path], opts(Format::Auto, false)).expect("reads");
    assert_eq!(
        playlists(&d),
        [vec!["1", "2", "3"], vec!["2", "3", "9"]],
        "sets, in item-id order"
    );
    assert_eq!(d.tracks[3].name, "9");

    let bad = dir.path().join("bad.dat");
    std::fs::write(&bad, b"1 2\n3 \xff 4\n5 6\n").expect("writes");
    let err = read(std::slice::from_ref(&bad), opts(Format::Baskets, false)).expect_err("fails");
    assert_eq!(
        err.to_string(),
        format!("{}:2:3: invalid UTF-8", bad.display())
    );
    let d = read(&[bad], opts(Format::Baskets, true)).expect("skips");
    assert_eq!((d.skipped, d.transactions.len()), (1, 2));
}

#[test]
fn missing_paths_and_empty_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = discover(&[dir.path().join("nope.csv")], Format::Auto).expect_err("fails");
    assert!(err.to_string().contains("nope.csv"), "{err}");
    let err = discover(&[dir.path().to_owned()], Format::Auto).expect_err("fails");
    assert!(err.to_string().contains("no dataset files found"), "{err}");
}

#[test]
fn integer_ids_are_the_same_track_in_every_format() {
    // Baskets take a fast path for canonical integers; a CSV naming the same ids must agree,
    // and non-canonical spellings ("007") stay distinct tokens.
    let dir = tempfile::tempdir().expect("tempdir");
    let baskets = write(dir.path(), "a.dat", "7 12 007\n12 99999999 100000000\n");
    let csv = write(
        dir.path(),
        "b.csv",
        "pid,track_uri,track_name\n1,12,Twelve\n1,007,Bond\n",
    );
    let d = read(&[baskets, csv], opts(Format::Auto, false)).expect("reads");
    assert_eq!(
        playlists(&d),
        [
            vec!["7", "12", "007"],
            vec!["12", "99999999", "100000000"],
            vec!["12", "007"]
        ]
    );
    assert_eq!(d.tracks.len(), 5);
}

#[test]
fn an_early_error_in_a_long_file_stops_the_read() {
    // The parsing thread may be many batches ahead when the interning stops at an error: it
    // must not be left blocked on a full channel.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv = b"pid,track_uri,track_name\n0,,empty uri\n".to_vec();
    let mut baskets = b"1 2 \xff\n".to_vec();
    for row in 0..200_000u32 {
        csv.extend_from_slice(format!("{},t{},n\n", row / 50, row % 97).as_bytes());
        baskets.extend_from_slice(format!("{} {}\n", row % 89, row % 97).as_bytes());
    }
    let csv_path = dir.path().join("long.csv");
    let baskets_path = dir.path().join("long.dat");
    std::fs::write(&csv_path, &csv).expect("writes");
    std::fs::write(&baskets_path, &baskets).expect("writes");
    let err = read(std::slice::from_ref(&csv_path), opts(Format::Csv, false)).expect_err("fails");
    assert_eq!(
        err.to_string(),
        format!("{}:2:2: empty track_uri", csv_path.display())
    );
    let err = read(
        std::slice::from_ref(&baskets_path),
        opts(Format::Auto, false),
    )
    .expect_err("fails");
    assert_eq!(
        err.to_string(),
        format!("{}:1:5: invalid UTF-8", baskets_path.display())
    );
}

#[test]
fn basket_errors_across_chunks_keep_their_place() {
    // Lines are split into tokens a chunk (about 1 MB) ahead on another thread: errors deep in
    // a file must still name their line and column, stop the read, or be skipped in order;
    // lines longer than a chunk, Unicode whitespace and a last line without a newline too.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = Vec::new();
    let long: Vec<String> = (0..200_000u32).map(|i| (i % 1000).to_string()).collect();
    for line in 1..=400_000u32 {
        match line {
            150_000 => text.extend_from_slice(b"1 2 \xff 3\n"),
            150_001 => text.extend_from_slice("é\u{3000}7\u{a0}x 7 é\r\n".as_bytes()),
            150_002 => text.extend_from_slice(b"8\x0b9\x0c010 \t\r\n"),
            250_000 => text.extend_from_slice(format!("{}\n", long.join(" ")).as_bytes()),
            320_000 => text.extend_from_slice(b"\xc3\n"),
            400_000 => text.extend_from_slice(b"4 5"),
            _ => text.extend_from_slice(format!("{} {}\n", line % 89, line % 97 + 100).as_bytes()),
        }
    }
    let path = dir.path().join("long.dat");
    std::fs::write(&path, &text).expect("writes");
    let err = read(std::slice::from_ref(&path), opts(Format::Baskets, false)).expect_err("fails");
    assert_eq!(
        err.to_string(),
        format!("{}:150000:5: invalid UTF-8", path.display())
    );
    let d = read(&[path], opts(Format::Baskets, true)).expect("skips");
    assert_eq!(d.skipped, 2);
    assert!(
        d.skip_reasons[0].contains(":150000:5: invalid UTF-8")
            && d.skip_reasons[1].contains(":320000:1: invalid UTF-8"),
        "{:?}",
        d.skip_reasons
    );
    let sets = playlists(&d);
    assert_eq!(sets.len(), 400_000 - 2);
    // Lines 150,000 and 320,000 are skipped: line l is set l - 2 from 150,001 on.
    assert_eq!(
        sets[150_001 - 2],
        ["7", "é", "x"],
        "U+3000 and U+A0 separate"
    );
    assert_eq!(sets[150_002 - 2], ["8", "9", "010"]);
    assert_eq!(sets[250_000 - 2].len(), 1000);
    assert_eq!(sets.last().expect("a last line"), &["4", "5"]);
    assert_eq!(d.rows, 2 * (400_000 - 6) + 5 + 3 + 200_000 + 2);
}

#[test]
fn reading_order_is_kept_on_request_and_feeds_first_n_seeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Interleaved pids and a repeat: playlist 1 is c, a, b (c again is dropped), 2 is x, y.
    let csv = write(
        dir.path(),
        "order.csv",
        "pid,track_uri\n1,c\n2,x\n1,a\n1,c\n2,y\n1,b\n",
    );
    let baskets = write(dir.path(), "order.dat", "3 1 2 1\n");
    let uris = |d: &Dataset, ids: &[u32]| -> Vec<String> {
        ids.iter()
            .map(|&i| d.tracks[i as usize].uri.clone())
            .collect()
    };
    let plain = read(std::slice::from_ref(&csv), opts(Format::Csv, false)).expect("reads");
    assert!(plain.order.is_none(), "only on request");
    let request = ReadRequest {
        keep_order: true,
        ..ReadRequest::from(opts(Format::Auto, false))
    };
    let d = read(&[csv, baskets], request).expect("reads");
    let order = d.order.as_ref().expect("kept");
    let ordered: Vec<Vec<String>> = order.iter().map(|p| uris(&d, p)).collect();
    assert_eq!(
        ordered,
        [vec!["c", "a", "b"], vec!["x", "y"], vec!["3", "1", "2"]]
    );
    // The same sets as the transactions, playlist for playlist.
    for (set, seq) in d.transactions.iter().zip(order.iter()) {
        let mut sorted = seq.to_vec();
        sorted.sort_unstable();
        assert_eq!(set, sorted.as_slice());
    }
    // Test playlists of an evaluation come in reading order ("first n" = the real first n).
    let (_, test) = miner::evaluate::split(&d, 1.0, 7);
    let test: Vec<Vec<String>> = test.iter().map(|p| uris(&d, p)).collect();
    assert_eq!(test, ordered);
}
