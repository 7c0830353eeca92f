//! The routes' paths, as the server routes them and clients call them.

/// `POST`: recommendations.
pub const RECOMMEND: &str = "/api/recommend";
/// `POST`: recommendations, with the original service's trailing slash.
pub const RECOMMEND_SLASH: &str = "/api/recommend/";
/// `GET`: the model being served.
pub const MODEL: &str = "/api/model";
/// `GET`: the model's blob.
pub const MODEL_BLOB: &str = "/api/model/blob";
/// `GET`: a sample of popular tracks, or a search.
pub const TRACKS: &str = "/api/tracks";
/// `GET`: liveness.
pub const HEALTHZ: &str = "/healthz";
/// `GET`: readiness.
pub const READYZ: &str = "/readyz";
/// `GET`: Prometheus metrics.
pub const METRICS: &str = "/metrics";
/// `GET`: the OpenAPI document.
pub const OPENAPI: &str = "/openapi.json";
/// `GET`: Swagger UI.
pub const DOCS: &str = "/docs";
