//! A wasm-bindgen API for any JavaScript page (cargo feature `wasm`).
//!
//! ```js
//! import init, { Engine } from "./engine.js";
//! await init();
//! const bytes = new Uint8Array(await (await fetch("/api/model/blob")).arrayBuffer());
//! const engine = new Engine(bytes);
//! const answer = engine.recommend(["HUMBLE.", "spotify:track:..."], 10);
//! const original = engine.recommend(["HUMBLE."], 10, "best_confidence");
//! ```

use wasm_bindgen::prelude::*;

use crate::{Model, Options, Strategy, recommend};

/// The strategy named `name` (as in the API: `lift_weighted`, `sum`, ...), or the default.
fn strategy(name: Option<String>) -> Result<Strategy, JsError> {
    match name {
        None => Ok(Strategy::default()),
        Some(name) => Strategy::from_name(&name).ok_or_else(|| {
            let known: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
            JsError::new(&format!(
                "unknown strategy {name:?}; one of {}",
                known.join(", ")
            ))
        }),
    }
}

/// A decoded model, ready to recommend.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    model: Model,
}

#[wasm_bindgen]
impl Engine {
    /// Decodes and validates a blob; throws an `Error` saying what is wrong with it.
    #[wasm_bindgen(constructor)]
    pub fn new(blob: &[u8]) -> Result<Engine, JsError> {
        Ok(Engine {
            model: Model::from_blob(blob)?,
        })
    }

    /// The model's metadata as a plain object.
    pub fn metadata(&self) -> Result<JsValue, JsError> {
        Ok(serde_wasm_bindgen::to_value(self.model.metadata())?)
    }

    /// Recommends `k` tracks for `seeds` (URIs or names) with `strategy` (its API name; the
    /// default when omitted), as a plain object `{resolved, unknown, tracks}`. Throws on an
    /// unknown strategy.
    pub fn recommend(
        &self,
        seeds: Vec<String>,
        k: usize,
        strategy: Option<String>,
    ) -> Result<JsValue, JsError> {
        let options = Options {
            k,
            strategy: self::strategy(strategy)?,
        };
        let answer = recommend(&self.model, &seeds, &options);
        Ok(serde_wasm_bindgen::to_value(&answer)?)
    }

    /// The same answer as [`Engine::recommend`], serialised as JSON text (byte-identical to the
    /// native engine's `serde_json` output).
    #[wasm_bindgen(js_name = recommendJson)]
    pub fn recommend_json(
        &self,
        seeds: Vec<String>,
        k: usize,
        strategy: Option<String>,
    ) -> Result<String, JsError> {
        let options = Options {
            k,
            strategy: self::strategy(strategy)?,
        };
        let answer = recommend(&self.model, &seeds, &options);
        Ok(serde_json::to_string(&answer)?)
    }
}
