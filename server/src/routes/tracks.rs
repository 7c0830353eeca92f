//! `GET /api/tracks`: a sample of popular tracks, or a search by name.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use api::{ErrorBody, TrackInfo, TrackList, TracksForm, TracksQuery};
use axum::extract::State;
use axum::response::Response;

use super::{current, json_response};
use crate::error::{ApiError, ApiQuery};
use crate::state::AppState;

/// A sample of popular tracks, or a search by song and artist name.
#[utoipa::path(
    get,
    path = "/api/tracks",
    tag = "tracks",
    params(TracksQuery),
    responses(
        (status = 200, description = "Tracks", body = TrackList),
        (status = 400, description = "Not one of the two forms, or a count out of range", body = ErrorBody),
        (status = 503, description = "No model yet", body = ErrorBody),
    )
)]
pub async fn tracks(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TracksQuery>,
) -> Result<Response, ApiError> {
    let form = query.form()?;
    let loaded = current(&state)?;
    let model = &loaded.model;
    let list = match form {
        TracksForm::Search { q, limit } => {
            let found = match loaded.catalog_if_built() {
                Some(catalog) => catalog.search(q, limit),
                // The index of a model swapped in a moment ago is still being built: wait for
                // it off the async workers.
                None => {
                    let (building, q) = (Arc::clone(&loaded), q.to_owned());
                    tokio::task::spawn_blocking(move || building.catalog().search(&q, limit))
                        .await
                        .map_err(|e| {
                            tracing::error!(error = %e, "the search index task failed");
                            ApiError::Internal
                        })?
                }
            };
            TrackList {
                seed: None,
                tracks: found
                    .into_iter()
                    .map(|id| TrackInfo::new(model, id))
                    .collect(),
            }
        }
        TracksForm::Sample { n, seed } => {
            let seed = seed.unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            });
            let mut ids = sample(model.track_count(), n, seed);
            ids.sort_unstable();
            TrackList {
                seed: Some(seed),
                tracks: ids
                    .into_iter()
                    .map(|i| TrackInfo::new(model, engine::TrackId(i)))
                    .collect(),
            }
        }
    };
    json_response(&list)
}

/// `n` distinct ids from the most popular `max(10n, 500)` of `tracks`, chosen by a partial
/// Fisher-Yates shuffle driven by SplitMix64 from `seed`.
fn sample(tracks: usize, n: usize, seed: u64) -> Vec<u32> {
    let pool = tracks.min((10 * n).max(500));
    let mut ids: Vec<u32> = (0..pool as u32).collect();
    let mut rng = engine::SplitMix64::new(seed);
    let n = n.min(pool);
    for i in 0..n {
        let j = i + (rng.next_u64() % (pool - i) as u64) as usize;
        ids.swap(i, j);
    }
    ids.truncate(n);
    ids
}

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
