//! Every route and every error case, through the router (no socket).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use server::{AppOptions, Limits, Shared};

use crate::common::{get, post_json, send, serving, shared_model};

/// Names of a few popular tracks of the shared model, and one URI.
fn seeds() -> Vec<String> {
    let (model, _) = shared_model();
    let t = |i| model.track(engine::TrackId(i));
    vec![
        t(0).name.to_owned(),
        t(3).name.to_owned(),
        t(7).uri.to_owned(),
    ]
}

/// What the API must answer for `songs`, built from the engine directly (default strategy).
fn expected(songs: &[String], k: usize) -> Value {
    expected_with(songs, k, engine::Strategy::default())
}

/// What the API must answer for `songs` with `strategy`: the engine's answer in the API's
/// shape.
fn expected_with(songs: &[String], k: usize, strategy: engine::Strategy) -> Value {
    let (model, _) = shared_model();
    let options = engine::Options { k, strategy };
    let answer = engine::recommend(model, songs, &options);
    // Through text, as on the wire: an `f32` reads back as its shortest decimal.
    let text =
        serde_json::to_string(&api::RecommendResponse::new(answer, model)).expect("serializes");
    serde_json::from_str(&text).expect("parses")
}

#[tokio::test]
async fn recommend_answers_what_the_engine_ranks_on_both_paths() {
    let state = serving();
    let mut songs = seeds();
    songs.push("No Such Song Anywhere".into());
    for (path, k) in [("/api/recommend", 5), ("/api/recommend/", 10)] {
        let body = json!({"songs": songs, "k": k}).to_string();
        let answer = post_json(&state, path, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let json = answer.json();
        assert_eq!(json, expected(&songs, k), "{path}");
        assert_eq!(json["tracks"].as_array().map(Vec::len), Some(k));
        assert_eq!(json["unknown"], json!(["No Such Song Anywhere"]));
        assert!(
            json["tracks"][0]["source"] == "rule",
            "popular seeds fire rules: {json}"
        );
    }
    // k defaults to 10; unknown-only seeds get popular tracks.
    let answer = post_json(&state, "/api/recommend", r#"{"songs": ["zzz"]}"#).await;
    let json = answer.json();
    assert_eq!(json, expected(&["zzz".into()], 10));
    assert!(
        json["tracks"]
            .as_array()
            .expect("tracks")
            .iter()
            .all(|t| t["source"] == "popular")
    );
}

#[tokio::test]
async fn recommend_ranks_with_the_strategy_asked_for() {
    let state = serving();
    let songs = seeds();
    let mut answers = Vec::new();
    for strategy in engine::Strategy::ALL {
        let body = json!({"songs": songs, "k": 20, "strategy": strategy.name()}).to_string();
        let answer = post_json(&state, "/api/recommend", body).await;
        assert_eq!(answer.status, StatusCode::OK, "{strategy:?}");
        let json = answer.json();
        assert_eq!(json, expected_with(&songs, 20, strategy), "{strategy:?}");
        answers.push(json);
    }
    // The strategies really differ on this request (scores at least), except the adaptive
    // default: with three seeds it answers exactly as `sum`.
    let answer_of = |s: engine::Strategy| {
        &answers[engine::Strategy::ALL
            .iter()
            .position(|&x| x == s)
            .expect("listed")]
    };
    for (i, a) in answers.iter().enumerate() {
        for (j, b) in answers.iter().enumerate().skip(i + 1) {
            if engine::Strategy::ALL[j] != engine::Strategy::Adaptive {
                assert_ne!(a["tracks"], b["tracks"], "{i} {j}");
            }
        }
    }
    assert_eq!(
        answer_of(engine::Strategy::Adaptive)["tracks"],
        answer_of(engine::Strategy::Sum)["tracks"]
    );
    // Omitted or null: the engine's default, which the OpenAPI description names.
    let default = engine::Strategy::default();
    assert_eq!(default, engine::Strategy::Adaptive);
    for body in [
        json!({"songs": songs, "k": 20}),
        json!({"songs": songs, "k": 20, "strategy": null}),
    ] {
        let answer = post_json(&state, "/api/recommend", body.to_string()).await;
        assert_eq!(answer.json(), expected_with(&songs, 20, default), "{body}");
    }
    // Unknown names and other spellings are rejected with the one error shape.
    for bad in [
        json!("magic"),
        json!("BestConfidence"),
        json!("noisy-or"),
        json!(""),
    ] {
        let body = json!({"songs": songs, "strategy": bad}).to_string();
        let answer = post_json(&state, "/api/recommend", body).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn recommend_rejects_bad_requests_with_one_error_shape() {
    let state = serving();
    let long = "x".repeat(501);
    let at_limit = "x".repeat(500);
    let many: Vec<String> = (0..101).map(|i| format!("song {i}")).collect();
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (
            json!({"songs": []}).to_string(),
            StatusCode::BAD_REQUEST,
            "empty_songs",
        ),
        (
            json!({"songs": many}).to_string(),
            StatusCode::BAD_REQUEST,
            "too_many_songs",
        ),
        (
            json!({"songs": ["a", long]}).to_string(),
            StatusCode::BAD_REQUEST,
            "song_too_long",
        ),
        (
            json!({"songs": ["a"], "k": 0}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_k",
        ),
        (
            json!({"songs": ["a"], "k": 101}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_k",
        ),
        (
            r#"{"songs": ["a""#.into(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        ("not json".into(), StatusCode::BAD_REQUEST, "malformed_json"),
        (
            r#"{"songs": "a"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            r#"{"songs": [1, 2]}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            r#"{"tracks": ["a"]}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            r#"{"songs": ["a"], "k": -1}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            r#"{"songs": ["a"], "strategy": "magic"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
    ];
    for (body, status, code) in cases {
        let answer = post_json(&state, "/api/recommend", body.clone()).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (status, code),
            "{body:.80}"
        );
        assert_eq!(
            answer.headers[header::CONTENT_TYPE],
            "application/json",
            "{body:.80}"
        );
    }
    // The limits are inclusive: 100 songs of 500 characters are fine.
    let fine: Vec<String> = (0..100).map(|_| at_limit.clone()).collect();
    let answer = post_json(&state, "/api/recommend", json!({"songs": fine}).to_string()).await;
    assert_eq!(answer.status, StatusCode::OK);
    // Characters, as the document's `maxLength` counts them, not bytes.
    for (song, status) in [
        ("ñ".repeat(500), StatusCode::OK),
        ("🎵".repeat(500), StatusCode::OK),
        ("ñ".repeat(501), StatusCode::BAD_REQUEST),
    ] {
        let body = json!({"songs": [song]}).to_string();
        let answer = post_json(&state, "/api/recommend", body).await;
        assert_eq!(answer.status, status);
    }
    // JSON Schema's integers include `5.0`; `5.5` is not one.
    let answer = post_json(&state, "/api/recommend", r#"{"songs":["a"],"k":5.0}"#).await;
    assert_eq!(answer.json()["tracks"].as_array().map(Vec::len), Some(5));
    let answer = post_json(&state, "/api/recommend", r#"{"songs":["a"],"k":5.5}"#).await;
    assert_eq!(answer.code(), "invalid_json");

    // Over 64 KiB: 413, whatever the JSON says.
    let huge = json!({"songs": ["y".repeat(70_000)]}).to_string();
    let answer = post_json(&state, "/api/recommend", huge).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );

    // Not declared as JSON: 415.
    for content_type in [None, Some("text/plain")] {
        let mut request = Request::post("/api/recommend");
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let request = request
            .body(Body::from(r#"{"songs":["a"]}"#))
            .expect("request");
        let answer = send(&state, &AppOptions::default(), request).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            "{content_type:?}"
        );
    }

    // Configured limits are the ones enforced.
    let small = Shared::new(Limits {
        max_songs: 2,
        ..Limits::default()
    });
    small.install(crate::common::loaded(&shared_model().1));
    let answer = post_json(&small, "/api/recommend", r#"{"songs":["a","b","c"]}"#).await;
    assert_eq!(answer.code(), "too_many_songs");
}

#[tokio::test]
async fn heads_over_the_limit_get_431_in_the_api_shape() {
    let state = serving();
    // `GET /healthz HTTP/1.1\r\n` (23 bytes), `x-pad: ...\r\n` (9 + n) and the blank line.
    let head = |n: usize| {
        Request::get("/healthz")
            .header("x-pad", "p".repeat(n))
            .body(Body::empty())
            .expect("request")
    };
    let limit = Limits::default().max_header_bytes;
    let at_limit = send(&state, &AppOptions::default(), head(limit - 23 - 9 - 2)).await;
    assert_eq!(at_limit.status, StatusCode::OK);
    let over = send(&state, &AppOptions::default(), head(limit - 23 - 9 - 1)).await;
    assert_eq!(
        (over.status, over.code().as_str()),
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large"
        )
    );
    assert!(
        over.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("16385 bytes"))
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let state = serving();
    for uri in ["/api/nope", "/api/recommend/extra", "/api"] {
        let answer = get(&state, uri).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{uri}"
        );
    }
    let answer = get(&state, "/api/recommend").await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[tokio::test]
async fn without_a_model_everything_model_bound_is_503_with_retry_after() {
    let state = Shared::new(Limits::default());
    let mut answers = vec![post_json(&state, "/api/recommend", r#"{"songs":["a"]}"#).await];
    for uri in [
        "/api/model",
        "/api/model/blob",
        "/api/tracks?sample=3",
        "/readyz",
    ] {
        answers.push(get(&state, uri).await);
    }
    for answer in answers {
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "no_model")
        );
        assert_eq!(answer.headers[header::RETRY_AFTER], "2");
    }
    assert_eq!(
        get(&state, "/healthz").await.status,
        StatusCode::OK,
        "alive all the same"
    );
}

#[tokio::test]
async fn model_metadata_and_blob_with_etags() {
    let state = serving();
    let (model, blob) = shared_model();
    let info = get(&state, "/api/model").await.json();
    assert_eq!(info["version"], model.id());
    assert_eq!(info["tracks"], model.track_count());
    assert_eq!(info["rules"], model.rule_count());
    assert_eq!(info["playlists"], 3000);
    assert_eq!(info["blob_bytes"], blob.len());
    assert_eq!(info["model_date"], "2026-11-28T12:00:00Z");
    assert_eq!(info["format_version"], engine::FORMAT_VERSION);
    assert_eq!(
        info["adaptive"],
        serde_json::json!({"few": "sum", "max_few_seeds": 25, "many": "cosine"}),
        "the built-in rule of a model built without one"
    );
    assert!(
        info["loaded_at"]
            .as_str()
            .is_some_and(engine::is_rfc3339_utc),
        "{info}"
    );

    let answer = get(&state, "/api/model/blob").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(&answer.body, blob);
    let etag = format!("\"{}\"", model.id());
    assert_eq!(answer.headers[header::ETAG], etag.as_str());
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    assert_eq!(
        engine::Model::from_blob(&answer.body)
            .expect("decodes")
            .id(),
        model.id()
    );

    for (if_none_match, status) in [
        (etag.clone(), StatusCode::NOT_MODIFIED),
        (format!("W/{etag}"), StatusCode::NOT_MODIFIED),
        (format!("\"other\", {etag}"), StatusCode::NOT_MODIFIED),
        ("\"other\"".to_owned(), StatusCode::OK),
    ] {
        let request = Request::get("/api/model/blob")
            .header(header::IF_NONE_MATCH, &if_none_match)
            .body(Body::empty())
            .expect("request");
        let answer = send(&state, &AppOptions::default(), request).await;
        assert_eq!(answer.status, status, "{if_none_match}");
        if status == StatusCode::NOT_MODIFIED {
            assert!(answer.body.is_empty());
            assert_eq!(answer.headers[header::ETAG], etag.as_str());
        }
    }
}

#[tokio::test]
async fn track_samples_are_popular_distinct_and_reproducible() {
    let state = serving();
    let (model, _) = shared_model();
    let a = get(&state, "/api/tracks?sample=12&seed=5").await.json();
    let b = get(&state, "/api/tracks?sample=12&seed=5").await.json();
    let c = get(&state, "/api/tracks?sample=12&seed=6").await.json();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a["seed"], 5);
    let uris: Vec<&str> = a["tracks"]
        .as_array()
        .expect("tracks")
        .iter()
        .map(|t| t["uri"].as_str().expect("uri"))
        .collect();
    assert_eq!(uris.len(), 12);
    let ids: Vec<u32> = uris
        .iter()
        .map(|u| model.track_by_uri(u).expect("a catalog track").0)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "distinct, most popular first: {ids:?}"
    );
    assert!(
        ids.iter().all(|&i| i < 500),
        "from the popular head: {ids:?}"
    );
    // Without a seed, the answer says which seed it used.
    let d = get(&state, "/api/tracks?sample=3").await.json();
    let seed = d["seed"].as_u64().expect("seed");
    assert_eq!(
        get(&state, &format!("/api/tracks?sample=3&seed={seed}"))
            .await
            .json(),
        d
    );

    for uri in [
        "/api/tracks",
        "/api/tracks?sample=0",
        "/api/tracks?sample=101",
        "/api/tracks?sample=3&q=a",
        "/api/tracks?q=a&limit=0",
        "/api/tracks?sample=x",
        "/api/tracks?sample=3&limit=5",
        "/api/tracks?q=a&seed=1",
        "/api/tracks?sample=3&page=2",
        "/api/tracks?sample=3&sample=4",
    ] {
        let answer = get(&state, uri).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{uri}"
        );
    }
}

/// Case- and accent-folded, as the search promises.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The URIs of a `GET /api/tracks` answer, in order.
fn track_uris(answer: &Value) -> Vec<String> {
    answer["tracks"]
        .as_array()
        .expect("tracks")
        .iter()
        .map(|t| t["uri"].as_str().expect("uri").to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_exactly_what_a_full_scan_finds() {
    let state = serving();
    let (model, _) = shared_model();
    let accented = model
        .tracks()
        .find(|t| t.name.chars().any(|c| "éñöüåó".contains(c)))
        .expect("the generator writes accented names");
    let plain: String = fold(accented.name);
    let mut queries = vec![
        plain.clone(),
        accented.name.to_uppercase(),
        plain.chars().skip(1).take(4).collect(),
        format!("{} {}", &plain, fold(accented.artist)),
        "a".into(),
        "ri".into(),
        "the".into(),
        "zzzzqqq".into(),
        "  ".into(),
    ];
    queries.push(model.track(engine::TrackId(5)).artist.to_lowercase());
    for query in queries {
        for limit in [1, 7, 100] {
            let uri = format!(
                "/api/tracks?q={}&limit={limit}",
                query.replace(' ', "%20").replace('&', "%26")
            );
            let answer = get(&state, &uri).await;
            assert_eq!(answer.status, StatusCode::OK, "{uri}");
            let got = track_uris(&answer.json());
            let words: Vec<String> = fold(&query)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect();
            let want: Vec<String> = model
                .tracks()
                .filter(|t| {
                    !words.is_empty()
                        && words.iter().all(|w| {
                            fold(t.name).contains(w.as_str()) || fold(t.artist).contains(w.as_str())
                        })
                })
                .take(limit)
                .map(|t| t.uri.to_owned())
                .collect();
            assert_eq!(got, want, "{query:?} limit {limit}");
        }
    }
}

#[tokio::test]
async fn a_search_before_the_index_is_built_builds_it_off_the_workers_and_answers() {
    // Stored without `install`, so no thread builds the index: the first search must.
    let (model, blob) = shared_model();
    let state = Shared::new(Limits::default());
    state
        .model
        .store(Some(std::sync::Arc::new(crate::common::loaded(blob))));
    let loaded = state.model.load_full().expect("a model");
    assert!(loaded.catalog_if_built().is_none());
    let answer = get(&state, "/api/tracks?q=a&limit=7").await;
    assert_eq!(answer.status, StatusCode::OK);
    let got = track_uris(&answer.json());
    let want: Vec<String> = server::search::Catalog::new(model)
        .search("a", 7)
        .into_iter()
        .map(|id| model.track(id).uri.to_owned())
        .collect();
    assert_eq!(got.len(), 7);
    assert_eq!(got, want);
    assert!(loaded.catalog_if_built().is_some(), "built once, kept");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let state = serving();
    let (model, _) = shared_model();
    assert_eq!(
        get(&state, "/healthz").await.json(),
        json!({"status": "ok"})
    );
    assert_eq!(
        get(&state, "/readyz").await.json(),
        json!({"status": "ready", "version": model.id()})
    );
    post_json(&state, "/api/recommend", r#"{"songs":["a"]}"#).await;
    post_json(&state, "/api/recommend", r#"{"songs":[]}"#).await;
    let answer = get(&state, "/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|t| t.starts_with("application/openmetrics-text"))
    );
    let text = String::from_utf8(answer.body).expect("utf-8");
    for line in [
        r#"segue_http_requests_total{route="/api/recommend",method="POST",status="200"} 1"#
            .to_owned(),
        r#"segue_http_requests_total{route="/api/recommend",method="POST",status="400"} 1"#
            .to_owned(),
        r#"segue_http_request_duration_seconds_count{route="/api/recommend",method="POST"} 2"#
            .to_owned(),
        format!(
            r#"segue_model_info{{version="{}",created_at="2026-11-28T12:00:00Z"}} 1"#,
            model.id()
        ),
        format!("segue_model_tracks {}", model.track_count()),
        format!("segue_model_rules {}", model.rule_count()),
        r#"segue_model_reloads_total{result="failure"} 0"#.to_owned(),
        "# TYPE segue_model_last_reload_timestamp_seconds gauge".to_owned(),
        "# EOF".to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[tokio::test]
async fn openapi_document_and_swagger_ui() {
    let state = serving();
    let doc = get(&state, "/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let pretty = serde_json::to_string_pretty(&doc.json()).expect("json");
    expect_test::expect_file!["snapshots/openapi.json"].assert_eq(&pretty);
    let ui = get(&state, "/docs/").await;
    assert_eq!(ui.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&ui.body);
    assert!(html.contains("swagger-ui"), "{html:.300}");
    assert!(
        !html.contains("://cdn") && !html.contains("unpkg.com"),
        "no CDN: {html:.500}"
    );
    let config = get(&state, "/docs/swagger-initializer.js").await;
    assert_eq!(config.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&config.body).contains("/openapi.json"));
    let bundle = get(&state, "/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status, StatusCode::OK, "vendored assets are served");
    assert!(bundle.body.len() > 100_000);
}

#[tokio::test]
async fn the_web_page_with_spa_fallback_types_cache_headers_and_compression() {
    let web = tempfile::tempdir().expect("tempdir");
    let html = "<!doctype html><title>Segue</title>";
    std::fs::write(web.path().join("index.html"), html).expect("writes");
    let wasm: Vec<u8> = (0..50_000u32).flat_map(|i| (i % 7).to_le_bytes()).collect();
    std::fs::write(web.path().join("web-0123456789abcdef_bg.wasm"), &wasm).expect("writes");
    std::fs::write(
        web.path().join("web-0123456789abcdef.js"),
        "export {};\n".repeat(100),
    )
    .expect("writes");
    let options = AppOptions {
        web_dir: web.path().to_owned(),
        ..AppOptions::default()
    };
    let state = serving();
    let fetch = |uri: &str, encoding: Option<&str>| {
        let mut request = Request::get(uri);
        if let Some(e) = encoding {
            request = request.header(header::ACCEPT_ENCODING, e);
        }
        let request = request.body(Body::empty()).expect("request");
        let state = state.clone();
        let options = options.clone();
        async move { send(&state, &options, request).await }
    };

    for uri in ["/", "/index.html", "/some/client/route"] {
        let answer = fetch(uri, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert_eq!(answer.body, html.as_bytes(), "{uri}");
        assert!(
            answer.headers[header::CONTENT_TYPE]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/html"))
        );
        assert_eq!(answer.headers[header::CACHE_CONTROL], "no-cache", "{uri}");
    }
    let answer = fetch("/web-0123456789abcdef_bg.wasm", None).await;
    assert_eq!(answer.body, wasm);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(
        answer.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let answer = fetch("/web-0123456789abcdef.js", None).await;
    assert!(
        answer.headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|t| t.contains("javascript"))
    );

    for (encoding, decode) in [("gzip", gunzip as fn(&[u8]) -> Vec<u8>), ("br", unbrotli)] {
        let answer = fetch("/web-0123456789abcdef_bg.wasm", Some(encoding)).await;
        assert_eq!(answer.headers[header::CONTENT_ENCODING], encoding);
        assert!(
            answer.body.len() < wasm.len() / 4,
            "{encoding}: {} bytes",
            answer.body.len()
        );
        assert_eq!(decode(&answer.body), wasm, "{encoding}");
    }

    let answer = fetch("/missing-asset.js", None).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );

    // No page built: `/` says so instead of a bare 404.
    let empty = tempfile::tempdir().expect("tempdir");
    let options = AppOptions {
        web_dir: empty.path().join("dist"),
        ..AppOptions::default()
    };
    let request = Request::get("/").body(Body::empty()).expect("request");
    let answer = send(&state, &options, request).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not installed"))
    );
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut std::io::Cursor::new(bytes), &mut out).expect("brotli");
    out
}

#[tokio::test]
async fn load_is_shed_with_503_when_no_capacity_is_left() {
    // No permits at all: every request is shed at once, in the API's error shape.
    let options = AppOptions {
        max_concurrency: 0,
        ..AppOptions::default()
    };
    let request = Request::get("/healthz")
        .body(Body::empty())
        .expect("request");
    let answer = send(&serving(), &options, request).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded")
    );
    assert_eq!(answer.headers[header::RETRY_AFTER], "2");
}

#[tokio::test]
async fn cors_is_off_by_default_and_follows_the_allow_list() {
    let state = serving();
    let preflight = || {
        Request::options("/api/recommend")
            .header(header::ORIGIN, "https://app.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .expect("request")
    };
    let answer = send(&state, &AppOptions::default(), preflight()).await;
    assert!(
        answer
            .headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    for (list, allowed) in [
        (vec!["https://app.example"], true),
        (vec!["https://other.example"], false),
        (vec!["*"], true),
    ] {
        let options = AppOptions {
            cors_origins: list.iter().map(|s| s.to_string()).collect(),
            ..AppOptions::default()
        };
        let answer = send(&state, &options, preflight()).await;
        assert_eq!(
            answer
                .headers
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_some(),
            allowed,
            "{list:?}"
        );
    }
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let state = serving();
    let a = get(&state, "/healthz").await;
    let id = a.headers["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(!id.is_empty());
    let request = Request::get("/healthz")
        .header("x-request-id", "from-the-client")
        .body(Body::empty())
        .expect("request");
    let b = send(&state, &AppOptions::default(), request).await;
    assert_eq!(
        b.headers["x-request-id"], "from-the-client",
        "a client's id is kept"
    );
}

#[tokio::test]
async fn the_openapi_document_states_the_configured_limits() {
    let (_, blob) = shared_model();
    let limits = Limits {
        max_songs: 7,
        max_song_chars: 33,
        max_k: 12,
        ..Limits::default()
    };
    let state = Shared::new(limits);
    state.install(crate::common::loaded(blob));
    let doc = get(&state, "/openapi.json").await.json();
    let request = &doc["components"]["schemas"]["RecommendRequest"]["properties"];
    assert_eq!(request["songs"]["minItems"], 1);
    assert_eq!(request["songs"]["maxItems"], 7);
    assert_eq!(request["songs"]["items"]["maxLength"], 33);
    assert_eq!(request["k"]["minimum"], 1);
    assert_eq!(request["k"]["maximum"], 12);
    assert_eq!(request["k"]["default"], 10);
    // The two forms of `/api/tracks`, and nothing else.
    let params = &doc["paths"]["/api/tracks"]["get"]["parameters"];
    assert_eq!(params.as_array().map(Vec::len), Some(1), "{params}");
    let query = &params[0];
    assert_eq!(
        (
            &query["in"],
            &query["style"],
            &query["explode"],
            &query["required"]
        ),
        (&json!("query"), &json!("form"), &json!(true), &json!(true))
    );
    let forms = query["schema"]["oneOf"].as_array().expect("oneOf");
    let form = |title: &str| forms.iter().find(|f| f["title"] == title).expect(title);
    for (title, required, optional) in [("sample", "sample", "seed"), ("search", "q", "limit")] {
        let form = form(title);
        assert_eq!(form["required"], json!([required]));
        assert_eq!(form["additionalProperties"], false);
        let names: Vec<&String> = form["properties"]
            .as_object()
            .expect("props")
            .keys()
            .collect();
        assert_eq!(names.len(), 2);
        assert!(form["properties"][optional].is_object(), "{form}");
    }
    for (title, count) in [("sample", "sample"), ("search", "limit")] {
        let count = &form(title)["properties"][count];
        assert_eq!(count["minimum"], 1, "{count}");
        assert_eq!(count["maximum"], api::MAX_TRACKS, "{count}");
    }
    assert_eq!(form("sample")["properties"]["seed"]["maximum"], u64::MAX);
    // Every operation states the head limit.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let description = operation["responses"]["431"]["description"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no 431"));
            assert!(description.contains("16384 bytes"), "{description}");
        }
    }
    // The blob is bytes, not an array of integers.
    assert_eq!(
        doc["paths"]["/api/model/blob"]["get"]["responses"]["200"]["content"],
        json!({"application/octet-stream": {}})
    );
    // What the document allows, the server accepts; one past it, the server refuses.
    let songs = |n: usize, len: usize| vec!["x".repeat(len); n];
    let body = |songs: Vec<String>, k: usize| json!({"songs": songs, "k": k}).to_string();
    let fine = post_json(&state, "/api/recommend", body(songs(7, 33), 12)).await;
    assert_eq!(fine.status, StatusCode::OK);
    for (bad, code) in [
        (body(songs(8, 1), 1), "too_many_songs"),
        (body(songs(1, 34), 1), "song_too_long"),
        (body(songs(1, 1), 13), "invalid_k"),
        (body(songs(0, 1), 1), "empty_songs"),
    ] {
        assert_eq!(post_json(&state, "/api/recommend", bad).await.code(), code);
    }
}

#[tokio::test]
async fn popularity_picks_carry_what_the_document_says() {
    let state = serving();
    let (model, _) = shared_model();
    let answer = post_json(
        &state,
        "/api/recommend",
        r#"{"songs":["No Such Song Anywhere"],"k":5}"#,
    )
    .await;
    let answer: api::RecommendResponse<'static> =
        serde_json::from_slice(&answer.body).expect("a recommendation");
    assert_eq!(answer.tracks.len(), 5);
    let playlists = model.metadata().playlists as f64;
    for (i, t) in answer.tracks.iter().enumerate() {
        let track = model.track(engine::TrackId(i as u32));
        assert_eq!(t.source, api::SourceName::Popular);
        assert_eq!(t.uri, track.uri);
        assert_eq!(t.score, 0.0);
        assert_eq!(t.confidence, (f64::from(track.count) / playlists) as f32);
        assert_eq!(t.lift, 1.0);
        assert_eq!(t.support, track.count);
        assert!(t.because.is_empty());
    }
    let doc = get(&state, "/openapi.json").await.json();
    let fields = &doc["components"]["schemas"]["RecommendedTrack"]["properties"];
    let says = |field: &str, text: &str| {
        let description = fields[field]["description"].as_str().unwrap_or_default();
        assert!(description.contains(text), "{field}: {description:?}");
    };
    says("score", "0 for popularity picks");
    says("confidence", "for popularity picks, the share of");
    says("lift", "1 for popularity picks");
    says("support", "for popularity picks: the track's playlists");
    says("because", "empty for popularity picks");
}

#[tokio::test]
async fn every_route_is_labelled_in_the_metrics() {
    let state = serving();
    for uri in [
        "/api/model",
        "/api/model/blob",
        "/api/tracks?sample=3",
        "/api/nope",
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/docs",
        "/docs/",
        "/docs/swagger-ui.css",
    ] {
        get(&state, uri).await;
    }
    for uri in ["/api/recommend", "/api/recommend/"] {
        post_json(&state, uri, r#"{"songs":["a"]}"#).await;
    }
    let text = String::from_utf8(get(&state, "/metrics").await.body).expect("utf-8");
    let requests: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("segue_http_requests_total{"))
        .collect();
    assert!(requests.len() >= 12, "{text}");
    assert!(
        !requests.iter().any(|l| l.contains(r#"route="other""#)),
        "a route missing from the table: {requests:#?}"
    );
}
