//! The browser's engine: the model's blob decoded in wasm, and its answers in the server's type.

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
        RecommendResponse::new(answer, &self.model).into_owned()
    }
}
