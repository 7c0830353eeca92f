//! A hand-made model whose every rule can be checked by hand (playlists = 100), and the
//! requests the engine's tests ask of it.

use engine::{AdaptiveRule, Model, ModelBuilder, ModelParams, RuleInput, TrackInput};

// The fixture's tracks, by URI.
pub const HUMBLE: &str = "spotify:track:7KXjTSCq5nL1LoYtL7XAwS";
pub const DNA: &str = "spotify:track:6HZILIRieu8S0iqY8kIKhj";
pub const CLOSER_CS: &str = "spotify:track:7BKLCZ1jbUBVqRi2FVlTVw";
pub const CLOSER_NIN: &str = "spotify:track:5mc6EyF1OIEOhAkD0Gg9Lc";
pub const ROSES: &str = "spotify:track:6O6M7pJLABmfBRoGZMu76Y";
pub const FORMATION: &str = "spotify:track:0z8hI3OPS8ADPWtoCjjLl6";
pub const SISYFOS: &str = "spotify:track:1sisyfosXarisAlexiou00";
pub const YORU: &str = "spotify:track:3dPtXHP0oXQ4HCWHsOA9js";
pub const SAMAN: &str = "spotify:track:4saman0lafurArnalds000";
pub const HURT: &str = "spotify:track:7ueP5u2qkdZbIPN2YA6LR0";
pub const BRIGHTSIDE: &str = "spotify:track:003vvx7Niy0yvhvHt4a68B";
pub const LONELY: &str = "spotify:track:0lonelySong00000000000";

/// The fixture's parameters, out of `playlists` playlists.
pub fn params(playlists: u32) -> ModelParams {
    ModelParams {
        created_at: "2026-11-28T12:00:00Z".into(),
        datasets: vec!["fixture.csv".into()],
        playlists,
        min_support: 0.02,
        min_count: 2,
        min_confidence: 0.1,
        max_len: 3,
        miner_version: "fixture".into(),
        adaptive: AdaptiveRule::BUILT_IN,
    }
}

/// Tracks in deliberately scrambled order: the builder must canonicalise.
pub fn fixture() -> Model {
    fixture_with_rule(AdaptiveRule::BUILT_IN)
}

/// [`fixture`] with another adaptive rule (the same tracks and rules; another blob and id).
pub fn fixture_with_rule(adaptive: AdaptiveRule) -> Model {
    let mut b = ModelBuilder::new(ModelParams {
        adaptive,
        ..params(100)
    });
    let mut add = |uri: &str, name: &str, artist: &str, album: &str, count: u32| {
        b.add_track(TrackInput {
            uri: uri.into(),
            name: name.into(),
            artist: artist.into(),
            album: album.into(),
            count,
        })
    };
    let closer_nin = add(
        CLOSER_NIN,
        "Closer",
        "Nine Inch Nails",
        "The Downward Spiral",
        12,
    );
    let lonely = add(LONELY, "Lonely  Song", "Nobody", "Singles", 2);
    let humble = add(HUMBLE, "HUMBLE.", "Kendrick Lamar", "DAMN.", 45);
    let dna = add(DNA, "DNA.", "Kendrick Lamar", "DAMN.", 30);
    let closer_cs = add(CLOSER_CS, "Closer", "The Chainsmokers", "Collage", 40);
    let roses = add(ROSES, "Roses", "The Chainsmokers", "Collage", 20);
    let formation = add(FORMATION, "Formation", "Beyoncé", "Lemonade", 25);
    let sisyfos = add(SISYFOS, "ΣΊΣΥΦΟΣ", "Χάρις Αλεξίου", "Γυναίκες", 8);
    let yoru = add(YORU, "夜に駆ける", "YOASOBI", "THE BOOK", 15);
    let saman = add(SAMAN, "Saman", "Ólafur Arnalds", "re:member", 10);
    let hurt = add(HURT, "Hurt", "Nine Inch Nails", "The Downward Spiral", 9);
    let brightside = add(BRIGHTSIDE, "Mr. Brightside", "The Killers", "Hot Fuss", 35);
    let _ = lonely;
    let rules = [
        (vec![humble], dna, 20, 45),
        (vec![humble], closer_cs, 10, 45),
        (vec![dna], humble, 20, 30),
        (vec![dna], roses, 6, 30),
        (vec![dna], formation, 6, 30),
        (vec![dna, humble], brightside, 12, 20), // given unsorted on purpose
        (vec![humble, dna], closer_cs, 8, 20),
        (vec![closer_cs], roses, 15, 40),
        (vec![closer_nin], hurt, 6, 12),
        (vec![roses], closer_cs, 15, 20),
        (vec![formation], yoru, 5, 25),
        (vec![yoru], formation, 5, 15),
        (vec![sisyfos], saman, 4, 8),
        (vec![brightside], humble, 14, 35),
        (vec![brightside], dna, 14, 35),
        (vec![closer_cs, roses], brightside, 6, 15),
        (vec![hurt], closer_nin, 6, 9),
    ];
    for (antecedent, consequent, count, antecedent_count) in rules {
        b.add_rule(RuleInput {
            antecedent,
            consequent,
            count,
            antecedent_count,
        });
    }
    b.build().expect("fixture is valid")
}

/// A model without tracks or rules.
pub fn empty() -> Model {
    ModelBuilder::new(params(0))
        .build()
        .expect("empty model is valid")
}

/// The fixture cases: (label, seeds, k).
pub fn cases() -> Vec<(&'static str, Vec<&'static str>, usize)> {
    vec![
        ("one seed by URI", vec![HUMBLE], 5),
        ("name with odd case and spaces", vec!["  humble.  "], 3),
        (
            "shared name resolves to the most popular",
            vec!["closer"],
            3,
        ),
        ("the less popular namesake by URI", vec![CLOSER_NIN], 3),
        ("Greek name, other case and final sigma", vec!["σίσυφος"], 2),
        ("Japanese name", vec!["夜に駆ける"], 2),
        ("name needing NFKC", vec!["ＦＯＲＭＡＴＩＯＮ"], 3),
        ("two-track antecedent fires", vec!["HUMBLE.", "DNA."], 5),
        ("two-track antecedent by names", vec!["Closer", "Roses"], 4),
        (
            "ties in confidence break by lift",
            vec!["Mr. Brightside"],
            3,
        ),
        (
            "all seeds unknown",
            vec!["No Such Song", "spotify:track:0000000000000000000000"],
            4,
        ),
        ("mixed known and unknown", vec!["nope", "Hurt"], 3),
        ("k larger than the catalog", vec![HUMBLE], 50),
        (
            "seeds given twice",
            vec!["HUMBLE.", "HUMBLE.", HUMBLE, "humble."],
            3,
        ),
        ("k zero", vec![HUMBLE], 0),
        ("no seeds", vec![], 3),
        ("inner whitespace collapses", vec!["lonely song"], 2),
        ("empty and blank seeds are unknown", vec!["", "   "], 1),
    ]
}
