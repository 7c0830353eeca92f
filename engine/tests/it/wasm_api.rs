//! The JavaScript-facing API (feature `wasm`), under wasm only: it must answer exactly what the
//! Rust API answers.

use wasm_bindgen_test::wasm_bindgen_test as test;

use engine::wasm::Engine;
use engine::{Options, Strategy, recommend};
use testkit::fixture::{cases, fixture};

#[test]
fn js_api_answers_like_the_rust_api() {
    let model = fixture();
    let engine = Engine::new(&model.to_blob()).expect("decodes");
    for (label, seeds, k) in cases() {
        let seeds: Vec<String> = seeds.iter().map(|s| (*s).to_owned()).collect();
        let json = engine
            .recommend_json(seeds.clone(), k, None)
            .expect("answers");
        let expected = serde_json::to_string(&recommend(
            &model,
            &seeds,
            &Options {
                k,
                ..Options::default()
            },
        ))
        .expect("serialises");
        assert_eq!(json, expected, "{label}");
        for strategy in Strategy::ALL {
            let json = engine
                .recommend_json(seeds.clone(), k, Some(strategy.name().into()))
                .expect("answers");
            let expected =
                serde_json::to_string(&recommend(&model, &seeds, &Options { k, strategy }))
                    .expect("serialises");
            assert_eq!(json, expected, "{label}, {strategy:?}");
        }
        let value = engine.recommend(seeds, k, None).expect("answers");
        assert!(
            value.is_object(),
            "{label}: recommend returns a plain object"
        );
    }
    assert!(
        engine
            .recommend_json(vec!["HUMBLE.".into()], 3, Some("magic".into()))
            .is_err(),
        "an unknown strategy throws"
    );
}

#[test]
fn js_api_rejects_a_bad_blob() {
    assert!(Engine::new(b"not a blob").is_err());
}
