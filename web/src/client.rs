//! The page's calls to the server (gloo-net), in the `api` crate's shapes, and why they fail.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

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

async fn check(response: Response) -> Result<Response, FetchError> {
    if response.ok() || response.status() == 304 {
        return Ok(response);
    }
    let status = response.status();
    match response.json::<api::ErrorBody<'static>>().await {
        Ok(body) if body.error.code == "no_model" => Err(FetchError::NoModel),
        Ok(body) => Err(FetchError::Api {
            status,
            code: body.error.code.into_owned(),
            message: body.error.message.into_owned(),
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

/// The model the server serves.
pub(crate) async fn model() -> Result<api::ModelInfo, FetchError> {
    get_json(api::paths::MODEL).await
}

/// `/api/tracks` asked `query`, encoded the way the server's query extractor decodes it.
async fn tracks(query: &api::TracksQuery) -> Result<api::TrackList<'static>, FetchError> {
    let query =
        serde_urlencoded::to_string(query).map_err(|e| FetchError::Decode(e.to_string()))?;
    get_json(&format!("{}?{query}", api::paths::TRACKS)).await
}

/// A sample of `n` popular tracks (`seed`: the same sample again), and the sample's seed.
pub(crate) async fn sample(
    n: usize,
    seed: Option<u64>,
) -> Result<(u64, Vec<api::TrackInfo<'static>>), FetchError> {
    let list = tracks(&api::TracksQuery {
        sample: Some(n),
        seed,
        ..api::TracksQuery::default()
    })
    .await?;
    Ok((list.seed.unwrap_or_default(), list.tracks))
}

/// At most `limit` tracks matching `query`, most popular first.
pub(crate) async fn search(
    query: &str,
    limit: usize,
) -> Result<Vec<api::TrackInfo<'static>>, FetchError> {
    let list = tracks(&api::TracksQuery {
        q: Some(query.to_owned()),
        limit: Some(limit),
        ..api::TracksQuery::default()
    })
    .await?;
    Ok(list.tracks)
}

/// The server's answer to `request`.
pub(crate) async fn recommend(
    request: &api::RecommendRequest,
) -> Result<api::RecommendResponse<'static>, FetchError> {
    let request = Request::post(api::paths::RECOMMEND)
        .json(request)
        .map_err(|e| FetchError::Decode(e.to_string()))?;
    json(send(request).await?).await
}

/// The model's blob. The browser's HTTP cache keeps it: each fetch revalidates with the
/// stored ETag (the server sends `Cache-Control: no-cache`), so an unchanged model costs a
/// 304, also across page loads. `None` if a 304 reaches the page itself.
pub(crate) async fn blob() -> Result<Option<Vec<u8>>, FetchError> {
    let request = Request::get(api::paths::MODEL_BLOB)
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
