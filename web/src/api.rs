//! The server's JSON, as the page reads it, and the calls that fetch it.

use serde::{Deserialize, Serialize};

/// `GET /api/model`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct ModelInfo {
    pub(crate) version: String,
    pub(crate) model_date: String,
    pub(crate) datasets: Vec<String>,
    pub(crate) playlists: u32,
    pub(crate) tracks: usize,
    pub(crate) rules: usize,
    pub(crate) blob_bytes: usize,
}

/// A catalog track (`GET /api/tracks`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub(crate) struct TrackInfo {
    pub(crate) uri: String,
    pub(crate) name: String,
    pub(crate) artist: String,
    pub(crate) playlists: u32,
}

#[derive(Clone, Debug, Deserialize)]
struct TrackList {
    #[serde(default)]
    seed: Option<u64>,
    tracks: Vec<TrackInfo>,
}

/// A recommendation, from the server (`POST /api/recommend`) or from the browser's engine in
/// exactly the same shape, so that the two compare field by field.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct Recommendation {
    pub(crate) songs: Vec<String>,
    pub(crate) tracks: Vec<RecommendedTrack>,
    pub(crate) resolved: Vec<ResolvedSeed>,
    pub(crate) unknown: Vec<String>,
    pub(crate) version: String,
    pub(crate) model_date: String,
}

/// One recommended track. Scores are `f32` as the engine computes them: JSON carries the
/// shortest decimal that reads back as the same `f32`, so equality is exact.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct RecommendedTrack {
    pub(crate) uri: String,
    pub(crate) name: String,
    pub(crate) artist: String,
    pub(crate) score: f32,
    pub(crate) confidence: f32,
    pub(crate) lift: f32,
    pub(crate) support: u32,
    /// `rule` or `popular`.
    pub(crate) source: String,
    /// URIs of the seeds of the rule behind it.
    pub(crate) because: Vec<String>,
}

/// A seed that matched a track.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub(crate) struct ResolvedSeed {
    pub(crate) input: String,
    pub(crate) uri: String,
    pub(crate) name: String,
    pub(crate) artist: String,
}

#[derive(Serialize)]
struct RecommendRequest<'a> {
    songs: &'a [String],
    k: usize,
    strategy: engine::Strategy,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// Why a call failed, in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FetchError {
    /// The server could not be reached.
    Network(String),
    /// No model has been published yet (503 `no_model`).
    NoModel,
    /// The server said no: its status, code and message.
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The answer was not what the page expects.
    Decode(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Network(e) => write!(f, "the server is unreachable ({e})"),
            FetchError::NoModel => write!(f, "no model has been published yet"),
            FetchError::Api {
                status, message, ..
            } => write!(f, "the server answered {status}: {message}"),
            FetchError::Decode(e) => write!(f, "unexpected answer from the server ({e})"),
        }
    }
}

mod client {
    use gloo_net::http::{Request, Response};
    use serde::de::DeserializeOwned;

    use super::*;

    async fn check(response: Response) -> Result<Response, FetchError> {
        if response.ok() || response.status() == 304 {
            return Ok(response);
        }
        let status = response.status();
        match response.json::<ErrorBody>().await {
            Ok(body) if body.error.code == "no_model" => Err(FetchError::NoModel),
            Ok(body) => Err(FetchError::Api {
                status,
                code: body.error.code,
                message: body.error.message,
            }),
            Err(_) => Err(FetchError::Api {
                status,
                code: String::new(),
                message: response.status_text(),
            }),
        }
    }

    /// Sends `request`; a network failure or an error answer becomes a [`FetchError`].
    async fn send(request: Request) -> Result<Response, FetchError> {
        let response = request
            .send()
            .await
            .map_err(|e| FetchError::Network(e.to_string()))?;
        check(response).await
    }

    async fn json<T: DeserializeOwned>(response: Response) -> Result<T, FetchError> {
        response
            .json()
            .await
            .map_err(|e| FetchError::Decode(e.to_string()))
    }

    async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, FetchError> {
        let request = Request::get(url)
            .build()
            .map_err(|e| FetchError::Decode(e.to_string()))?;
        json(send(request).await?).await
    }

    pub(crate) async fn model() -> Result<ModelInfo, FetchError> {
        get_json("/api/model").await
    }

    pub(crate) async fn sample(
        n: usize,
        seed: Option<u64>,
    ) -> Result<(u64, Vec<TrackInfo>), FetchError> {
        let url = match seed {
            Some(s) => format!("/api/tracks?sample={n}&seed={s}"),
            None => format!("/api/tracks?sample={n}"),
        };
        let list: TrackList = get_json(&url).await?;
        Ok((list.seed.unwrap_or_default(), list.tracks))
    }

    pub(crate) async fn search(query: &str, limit: usize) -> Result<Vec<TrackInfo>, FetchError> {
        let q = js_sys::encode_uri_component(query);
        let list: TrackList = get_json(&format!("/api/tracks?q={q}&limit={limit}")).await?;
        Ok(list.tracks)
    }

    pub(crate) async fn recommend(
        songs: &[String],
        k: usize,
        strategy: engine::Strategy,
    ) -> Result<Recommendation, FetchError> {
        let request = Request::post("/api/recommend")
            .json(&RecommendRequest { songs, k, strategy })
            .map_err(|e| FetchError::Decode(e.to_string()))?;
        json(send(request).await?).await
    }

    /// The model's blob. The browser's HTTP cache keeps it: each fetch revalidates with the
    /// stored ETag (the server sends `Cache-Control: no-cache`), so an unchanged model costs a
    /// 304, also across page loads. `None` if a 304 reaches the page itself.
    pub(crate) async fn blob() -> Result<Option<Vec<u8>>, FetchError> {
        let request = Request::get("/api/model/blob")
            .cache(web_sys::RequestCache::NoCache)
            .build()
            .map_err(|e| FetchError::Decode(e.to_string()))?;
        let response = send(request).await?;
        if response.status() == 304 {
            return Ok(None);
        }
        response
            .binary()
            .await
            .map(Some)
            .map_err(|e| FetchError::Network(e.to_string()))
    }
}

pub(crate) use client::*;
