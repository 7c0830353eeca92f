//! The browser's engine: the model's blob decoded in wasm, and its answers in the server's type.

use std::borrow::Cow;

use api::RecommendResponse;

use crate::stats::ModelStats;

/// A model decoded in the browser, with what the page shows about it.
#[derive(Debug)]
pub(crate) struct LocalModel {
    /// The model.
    pub(crate) model: engine::Model,
    /// The model view's figures.
    pub(crate) stats: ModelStats,
}

impl LocalModel {
    /// Decodes and validates `blob` (the same checks as the server's).
    pub(crate) fn decode(blob: &[u8]) -> Result<LocalModel, engine::DecodeError> {
        let model = engine::Model::from_blob(blob)?;
        let stats = ModelStats::of(&model);
        Ok(LocalModel { model, stats })
    }

    /// The model id.
    pub(crate) fn version(&self) -> &str {
        self.model.id()
    }

    /// Ranks `songs` in the browser with `strategy` (the one the server was asked for), in
    /// the server's answer type, built as the server builds it.
    pub(crate) fn recommend(
        &self,
        songs: &[String],
        k: usize,
        strategy: engine::Strategy,
    ) -> RecommendResponse<'static> {
        let options = engine::Options { k, strategy };
        let answer = engine::recommend(&self.model, songs, &options);
        owned(RecommendResponse::new(answer, &self.model))
    }
}

/// `response` with its own strings, to outlive the model it borrows from.
fn owned(response: RecommendResponse<'_>) -> RecommendResponse<'static> {
    fn own(s: Cow<'_, str>) -> Cow<'static, str> {
        Cow::Owned(s.into_owned())
    }
    RecommendResponse {
        songs: response.songs.into_iter().map(own).collect(),
        tracks: response
            .tracks
            .into_iter()
            .map(|t| api::RecommendedTrack {
                uri: own(t.uri),
                name: own(t.name),
                artist: own(t.artist),
                score: t.score,
                confidence: t.confidence,
                lift: t.lift,
                support: t.support,
                source: t.source,
                because: t.because.into_iter().map(own).collect(),
            })
            .collect(),
        resolved: response
            .resolved
            .into_iter()
            .map(|s| api::ResolvedSeed {
                input: s.input,
                uri: own(s.uri),
                name: own(s.name),
                artist: own(s.artist),
            })
            .collect(),
        unknown: response.unknown,
        version: own(response.version),
        model_date: own(response.model_date),
    }
}
