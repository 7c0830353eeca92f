//! The HTTP API: handlers, request and response types, and the OpenAPI document.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::state::{AppState, Loaded};

/// A recommendation request.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"songs": ["Broken Canción", "Niño"], "k": 5, "strategy": "lift_weighted"}))]
pub struct RecommendRequest {
    /// Seed songs: song names (matched ignoring case, width and spacing; a name several songs
    /// share means the most popular of them) or track URIs (`spotify:track:...`, exact).
    pub songs: Vec<String>,
    /// How many tracks to return, 1 to 100 (default 10).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100, example = 10)]
    pub k: Option<usize>,
    /// How to score candidates (default `lift_weighted`, the best measured; `original` is the
    /// original service's ranking).
    #[serde(default)]
    pub strategy: Option<StrategyName>,
}

/// Scoring strategies: how the rules that fire for a candidate combine into its score
/// (the engine's `Strategy`; `docs/quality.md` compares them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StrategyName {
    /// The original service's ranking: the best confidence among the rules whose antecedent
    /// is a single seed.
    Original,
    /// The best confidence among all the rules that fire (single seeds and pairs).
    BestConfidence,
    /// The sum of the confidences of every rule that fires.
    Sum,
    /// `1 - Π(1 - confidence)` over the rules that fire.
    NoisyOr,
    /// The sum of `√(confidence × lift)` over the rules that fire: confidence discounted by
    /// the square root of the candidate's popularity.
    LiftWeighted,
}

impl From<StrategyName> for engine::Strategy {
    fn from(s: StrategyName) -> engine::Strategy {
        match s {
            StrategyName::Original => engine::Strategy::Original,
            StrategyName::BestConfidence => engine::Strategy::BestConfidence,
            StrategyName::Sum => engine::Strategy::Sum,
            StrategyName::NoisyOr => engine::Strategy::NoisyOr,
            StrategyName::LiftWeighted => engine::Strategy::LiftWeighted,
        }
    }
}

/// A recommendation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendResponse<'m> {
    /// Names of the recommended tracks, best first (the original service's field).
    #[schema(example = json!(["Heart", "Sorry"]))]
    pub songs: Vec<&'m str>,
    /// The recommended tracks, best first.
    pub tracks: Vec<RecommendedTrack<'m>>,
    /// Seeds that matched a track.
    pub resolved: Vec<ResolvedSeed<'m>>,
    /// Seeds that matched nothing, as given.
    pub unknown: Vec<String>,
    /// Id of the model that answered.
    #[schema(example = "39d4bc2f04cee5fd5047d1b2fd631897")]
    pub version: &'m str,
    /// When that model was mined (RFC 3339).
    #[schema(example = "2026-11-28T14:29:25Z")]
    pub model_date: &'m str,
}

/// One recommended track.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendedTrack<'m> {
    /// Track URI.
    pub uri: &'m str,
    /// Song name.
    pub name: &'m str,
    /// Artist.
    pub artist: &'m str,
    /// Ranking score: the strategy's combination of the rules that fired (for
    /// `best_confidence`, the best rule's confidence); 0 for popularity picks.
    pub score: f32,
    /// Confidence of the best rule that recommends it (0 for popularity picks).
    pub confidence: f32,
    /// Lift of that rule (0 for popularity picks).
    pub lift: f32,
    /// Playlists containing that rule's tracks (for popularity picks: the track's playlists).
    pub support: u32,
    /// `rule` when a rule recommends it, `popular` when it fills the list by popularity.
    pub source: SourceName,
    /// The seeds (URIs) of the rule that recommends it.
    pub because: Vec<&'m str>,
}

/// Where a recommendation comes from.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceName {
    /// An association rule fired for it.
    Rule,
    /// A popular track filling the list.
    Popular,
}

/// A seed that matched a track.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolvedSeed<'m> {
    /// The seed as given.
    pub input: String,
    /// The track it matched.
    pub uri: &'m str,
    /// Its name.
    pub name: &'m str,
    /// Its artist.
    pub artist: &'m str,
}

fn current(state: &AppState) -> Result<Arc<Loaded>, ApiError> {
    state.model.load_full().ok_or(ApiError::NoModel)
}

/// Recommend tracks that go with the given songs.
#[utoipa::path(
    post,
    path = "/api/recommend",
    tag = "recommend",
    request_body(
        content = RecommendRequest,
        examples(
            ("known songs" = (summary = "Songs in the demo model", value = json!({"songs": ["Broken Canción", "Niño"], "k": 5}))),
            ("unknown songs" = (summary = "Nothing matches: popular tracks fill the answer", value = json!({"songs": ["No Such Song Anywhere"]}))),
            ("mixed" = (summary = "A name, a URI and an unknown song", value = json!({"songs": ["Broken Canción", "spotify:track:does-not-exist", "Heart"], "k": 10}))),
        )
    ),
    responses(
        (status = 200, description = "Ranked tracks", body = RecommendResponse),
        (status = 400, description = "Empty or too many songs, a song too long, a bad k, or malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over the size limit", body = ErrorBody),
        (status = 415, description = "Body not declared as JSON", body = ErrorBody),
        (status = 422, description = "JSON of the wrong shape", body = ErrorBody),
        (status = 503, description = "No model yet, or at capacity (see Retry-After)", body = ErrorBody),
    )
)]
pub async fn recommend(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RecommendRequest>,
) -> Result<Response, ApiError> {
    let limits = &state.limits;
    if request.songs.is_empty() {
        return Err(ApiError::bad_request(
            "empty_songs",
            "`songs` is empty: give at least one song name or track URI",
        ));
    }
    if request.songs.len() > limits.max_songs {
        return Err(ApiError::bad_request(
            "too_many_songs",
            format!(
                "`songs` has {} entries; at most {} are allowed",
                request.songs.len(),
                limits.max_songs
            ),
        ));
    }
    if let Some((i, song)) = request
        .songs
        .iter()
        .enumerate()
        .find(|(_, s)| s.len() > limits.max_song_bytes)
    {
        return Err(ApiError::bad_request(
            "song_too_long",
            format!(
                "`songs[{i}]` is {} bytes long; at most {} are allowed",
                song.len(),
                limits.max_song_bytes
            ),
        ));
    }
    let k = request.k.unwrap_or(engine::DEFAULT_K);
    if k == 0 || k > limits.max_k {
        return Err(ApiError::bad_request(
            "invalid_k",
            format!("`k` is {k}; it must be between 1 and {}", limits.max_k),
        ));
    }
    let loaded = current(&state)?;
    let options = engine::Options {
        k,
        strategy: request.strategy.map(Into::into).unwrap_or_default(),
    };
    let answer = engine::recommend(&loaded.model, &request.songs, &options);
    let metadata = loaded.model.metadata();
    let response = RecommendResponse {
        songs: answer.tracks.iter().map(|t| t.name).collect(),
        tracks: answer
            .tracks
            .into_iter()
            .map(|t| RecommendedTrack {
                uri: t.uri,
                name: t.name,
                artist: t.artist,
                score: t.score,
                confidence: t.confidence,
                lift: t.lift,
                support: t.support,
                source: match t.source {
                    engine::Source::Rule => SourceName::Rule,
                    engine::Source::Popular => SourceName::Popular,
                },
                because: t.because,
            })
            .collect(),
        resolved: answer
            .resolved
            .into_iter()
            .map(|s| ResolvedSeed {
                input: s.input,
                uri: s.uri,
                name: s.name,
                artist: s.artist,
            })
            .collect(),
        unknown: answer.unknown,
        version: loaded.model.id(),
        model_date: &metadata.created_at,
    };
    json_response(&response)
}

/// Serializes `value` into one buffer sized for a typical answer (a recommendation of ten
/// tracks is 2-4 KB), rather than growing one from a few bytes.
fn json_response(value: &impl Serialize) -> Result<Response, ApiError> {
    let mut body = Vec::with_capacity(4096);
    serde_json::to_writer(&mut body, value).map_err(|e| {
        tracing::error!(error = %e, "cannot serialize a response");
        ApiError::Internal
    })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// The model being served.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelInfo {
    /// Model id (content hash).
    #[schema(example = "39d4bc2f04cee5fd5047d1b2fd631897")]
    pub version: String,
    /// When it was mined (RFC 3339).
    pub model_date: String,
    /// When this server loaded it (RFC 3339).
    pub loaded_at: String,
    /// Seconds reading, validating and indexing took.
    pub load_seconds: f64,
    /// Datasets it was mined from.
    pub datasets: Vec<String>,
    /// Playlists mined.
    pub playlists: u32,
    /// Tracks in the catalog.
    pub tracks: usize,
    /// Rules.
    pub rules: usize,
    /// Distinct rule antecedents.
    pub antecedents: usize,
    /// Minimum support (fraction of playlists).
    pub min_support: f64,
    /// Minimum support (playlists).
    pub min_count: u32,
    /// Minimum confidence.
    pub min_confidence: f64,
    /// Largest itemset mined.
    pub max_len: u32,
    /// Miner version.
    pub miner_version: String,
    /// Blob format version.
    pub format_version: u32,
    /// Blob size in bytes.
    pub blob_bytes: usize,
    /// Models this server has loaded since it started.
    pub reloads: u64,
    /// Published blobs it rejected since it started.
    pub reload_failures: u64,
}

/// Metadata and statistics of the model being served.
#[utoipa::path(
    get,
    path = "/api/model",
    tag = "model",
    responses(
        (status = 200, description = "The model", body = ModelInfo),
        (status = 503, description = "No model yet", body = ErrorBody),
    )
)]
pub async fn model(State(state): State<AppState>) -> Result<Json<ModelInfo>, ApiError> {
    let loaded = current(&state)?;
    let m = &loaded.model;
    let meta = m.metadata();
    Ok(Json(ModelInfo {
        version: m.id().to_owned(),
        model_date: meta.created_at.clone(),
        loaded_at: humantime::format_rfc3339_seconds(loaded.loaded_at).to_string(),
        load_seconds: loaded.load_seconds,
        datasets: meta.datasets.clone(),
        playlists: meta.playlists,
        tracks: m.track_count(),
        rules: m.rule_count(),
        antecedents: m.antecedent_count(),
        min_support: meta.min_support,
        min_count: meta.min_count,
        min_confidence: meta.min_confidence,
        max_len: meta.max_len,
        miner_version: meta.miner_version.clone(),
        format_version: meta.format_version,
        blob_bytes: loaded.blob.len(),
        reloads: state.reloads.load(Ordering::Relaxed),
        reload_failures: state.reload_failures.load(Ordering::Relaxed),
    }))
}

/// The model's blob, for clients that rank on their own (the web page's wasm engine).
#[utoipa::path(
    get,
    path = "/api/model/blob",
    tag = "model",
    params(("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer")),
    responses(
        (status = 200, description = "The blob; `ETag` is the quoted model id", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "The client's copy is current"),
        (status = 503, description = "No model yet", body = ErrorBody),
    )
)]
pub async fn model_blob(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let loaded = current(&state)?;
    let etag = format!("\"{}\"", loaded.model.id());
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| ApiError::Internal)?;
    // The URL's content changes with each new model: clients must revalidate every time.
    let cache = HeaderValue::from_static("no-cache");
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        });
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        loaded.blob.clone(),
    )
        .into_response())
}

/// What `/api/tracks` is asked.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TracksQuery {
    /// A sample of this many popular tracks (1 to 100).
    pub sample: Option<usize>,
    /// Seed of the sample: the same seed gives the same sample of the same model.
    pub seed: Option<u64>,
    /// Search text: every word must occur in the song or artist name (case and accents
    /// ignored). Results are the most popular matches first.
    pub q: Option<String>,
    /// Most search results (1 to 100, default 10).
    pub limit: Option<usize>,
}

/// Tracks for the test page.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackList<'m> {
    /// The sample's seed (for `sample`), to ask for the same sample again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The tracks, most popular first.
    pub tracks: Vec<TrackInfo<'m>>,
}

/// A catalog track.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackInfo<'m> {
    /// Track URI.
    pub uri: &'m str,
    /// Song name.
    pub name: &'m str,
    /// Artist.
    pub artist: &'m str,
    /// Album.
    pub album: &'m str,
    /// Playlists that contain it.
    pub playlists: u32,
}

/// Most tracks `sample` or `limit` may ask for.
const MAX_TRACKS: usize = 100;

/// A sample of popular tracks, or a search by song and artist name.
#[utoipa::path(
    get,
    path = "/api/tracks",
    tag = "tracks",
    params(TracksQuery),
    responses(
        (status = 200, description = "Tracks", body = TrackList),
        (status = 400, description = "Neither or both of `sample` and `q`, or a count out of range", body = ErrorBody),
        (status = 503, description = "No model yet", body = ErrorBody),
    )
)]
pub async fn tracks(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TracksQuery>,
) -> Result<Response, ApiError> {
    let count = |n: Option<usize>, name: &str, default: usize| match n.unwrap_or(default) {
        n @ 1..=MAX_TRACKS => Ok(n),
        n => Err(ApiError::bad_request(
            "invalid_query",
            format!("`{name}` is {n}; it must be between 1 and {MAX_TRACKS}"),
        )),
    };
    let loaded = current(&state)?;
    let model = &loaded.model;
    let info = |id: engine::TrackId| {
        let t = model.track(id);
        TrackInfo {
            uri: t.uri,
            name: t.name,
            artist: t.artist,
            album: t.album,
            playlists: t.count,
        }
    };
    let list = match (&query.q, query.sample) {
        (Some(q), None) => {
            let limit = count(query.limit, "limit", 10)?;
            TrackList {
                seed: None,
                tracks: loaded
                    .catalog
                    .search(q, limit)
                    .into_iter()
                    .map(info)
                    .collect(),
            }
        }
        (None, Some(n)) => {
            let n = count(Some(n), "sample", 0)?;
            let seed = query.seed.unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            });
            let mut ids = sample(model.track_count(), n, seed);
            ids.sort_unstable();
            TrackList {
                seed: Some(seed),
                tracks: ids.into_iter().map(|i| info(engine::TrackId(i))).collect(),
            }
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give either `sample=N` (popular tracks) or `q=TEXT` (search)",
            ));
        }
    };
    Ok(Json(list).into_response())
}

/// `n` distinct ids from the most popular `max(10n, 500)` of `tracks`, chosen by a partial
/// Fisher-Yates shuffle driven by SplitMix64 from `seed`.
fn sample(tracks: usize, n: usize, seed: u64) -> Vec<u32> {
    let pool = tracks.min((10 * n).max(500));
    let mut ids: Vec<u32> = (0..pool as u32).collect();
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let n = n.min(pool);
    for i in 0..n {
        let j = i + (next() % (pool - i) as u64) as usize;
        ids.swap(i, j);
    }
    ids.truncate(n);
    ids
}

/// Health of the process and of the model.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok` (alive) or `ready` (serving a model).
    pub status: &'static str,
    /// The model being served, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Status)))]
pub async fn healthz() -> Json<Status> {
    Json(Status {
        status: "ok",
        version: None,
    })
}

/// Readiness: 200 while a model is loaded and the server is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Serving a model", body = Status),
        (status = 503, description = "No model yet, or shutting down", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    if state.draining.load(Ordering::Relaxed) {
        return Err(ApiError::ShuttingDown);
    }
    let loaded = current(&state)?;
    Ok(Json(Status {
        status: "ready",
        version: Some(loaded.model.id().to_owned()),
    }))
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}

/// The OpenAPI document of the API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Segue",
        description = "Playlist continuation: give a few songs, get the songs that most often go with them in real playlists, each with the rule that explains it."
    ),
    paths(recommend, model, model_blob, tracks, healthz, readyz, metrics),
    tags(
        (name = "recommend", description = "Recommendations"),
        (name = "model", description = "The model being served"),
        (name = "tracks", description = "The catalog, for pickers"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::sample;

    #[test]
    fn samples_are_distinct_popular_and_seeded() {
        let a = sample(10_000, 20, 7);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 20);
        assert!(a.iter().all(|&i| i < 500));
        assert_eq!(a, sample(10_000, 20, 7));
        assert_ne!(a, sample(10_000, 20, 8));
        assert_eq!(
            sample(3, 20, 1).len(),
            3,
            "a small catalog gives what it has"
        );
    }
}
