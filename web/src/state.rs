//! The page's state, in one place (the models, the seeds, the request's settings, the last
//! answers), and the tasks that change it: following the server's model, and Recommend.

use std::sync::Arc;

use leptos::prelude::*;

use crate::client::{self, FetchError};
use crate::local::LocalModel;
use crate::verdict::{self, Verdict};

/// A chosen seed: what is sent, and how it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Seed {
    /// A track URI (picked from the catalog) or text as typed.
    pub(crate) input: String,
    /// What the chip shows.
    pub(crate) label: String,
}

impl Seed {
    /// A catalog track: sent as its URI, shown as "name — artist".
    pub(crate) fn track(track: &api::TrackInfo<'_>) -> Seed {
        Seed {
            input: track.uri.to_string(),
            label: format!("{} — {}", track.name, track.artist),
        }
    }

    /// Text as typed: sent and shown as it is.
    pub(crate) fn typed(text: String) -> Seed {
        Seed {
            input: text.clone(),
            label: text,
        }
    }
}

/// The chosen seeds, in the order they were chosen, each input once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seeds(RwSignal<Vec<Seed>>);

impl Seeds {
    /// Adds `seed`, unless a seed with its input is there already.
    pub(crate) fn add(self, seed: Seed) {
        self.0.update(|s| {
            if !s.iter().any(|x| x.input == seed.input) {
                s.push(seed);
            }
        })
    }

    /// Removes the seed whose input is `input`.
    pub(crate) fn remove(self, input: &str) {
        self.0.update(|s| s.retain(|x| x.input != input))
    }

    /// Whether `input` is chosen (tracked).
    pub(crate) fn contains(self, input: &str) -> bool {
        self.0.with(|s| s.iter().any(|x| x.input == input))
    }

    /// Whether none is chosen (tracked).
    pub(crate) fn is_empty(self) -> bool {
        self.0.with(Vec::is_empty)
    }

    /// The seeds (tracked).
    pub(crate) fn get(self) -> Vec<Seed> {
        self.0.get()
    }

    /// What is sent for them, without tracking.
    fn inputs_untracked(self) -> Vec<String> {
        self.0
            .with_untracked(|s| s.iter().map(|x| x.input.clone()).collect())
    }
}

/// The server's model as the page last saw it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ServerModel {
    /// Not asked yet.
    Loading,
    /// The model it serves.
    Ready(api::ModelInfo),
    /// It has no model yet.
    None,
    /// It could not be asked: why.
    Unreachable(String),
}

impl ServerModel {
    /// The id of the model it serves, if it serves one.
    pub(crate) fn version(&self) -> Option<&str> {
        match self {
            ServerModel::Ready(m) => Some(&m.version),
            _ => None,
        }
    }
}

/// The browser's copy of the model.
#[derive(Clone, Debug)]
pub(crate) enum BrowserModel {
    /// Not fetched yet.
    Absent,
    /// Being fetched and decoded.
    Loading,
    /// Decoded.
    Ready(Arc<LocalModel>),
    /// Could not be fetched or decoded: why.
    Failed(String),
}

/// One press of "Recommend".
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    /// 1 for the first press, then 2, ... (tests wait on it).
    pub(crate) run: u32,
    /// The strategy both the server and the browser ranked with.
    pub(crate) strategy: engine::Strategy,
    /// The server's answer, or why there is none.
    pub(crate) server: Result<api::RecommendResponse<'static>, FetchError>,
    /// The browser's answer, if it holds a model.
    pub(crate) browser: Option<api::RecommendResponse<'static>>,
    /// How the two compare, when there are both.
    pub(crate) verdict: Option<Verdict>,
}

/// Everything the page knows; components get the parts they show or change.
#[derive(Clone, Copy, Debug)]
pub(crate) struct State {
    /// The server's model.
    pub(crate) server_model: RwSignal<ServerModel>,
    /// The browser's copy of it.
    pub(crate) browser_model: RwSignal<BrowserModel>,
    /// The chosen seeds.
    pub(crate) seeds: Seeds,
    /// Tracks to recommend.
    pub(crate) k: RwSignal<usize>,
    /// How both the server and the browser rank.
    pub(crate) strategy: RwSignal<engine::Strategy>,
    /// The last press of "Recommend".
    pub(crate) outcome: RwSignal<Option<Outcome>>,
    /// Whether an answer is awaited.
    pub(crate) busy: RwSignal<bool>,
}

impl State {
    /// The state of a page just opened.
    pub(crate) fn new() -> State {
        State {
            server_model: RwSignal::new(ServerModel::Loading),
            browser_model: RwSignal::new(BrowserModel::Absent),
            seeds: Seeds(RwSignal::new(Vec::new())),
            k: RwSignal::new(10),
            strategy: RwSignal::new(engine::Strategy::default()),
            outcome: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// The id of the server's model, if it serves one (tracked).
    pub(crate) fn server_version(self) -> Option<String> {
        self.server_model.with(|m| m.version().map(str::to_owned))
    }

    fn local(&self) -> Option<Arc<LocalModel>> {
        match self.browser_model.get_untracked() {
            BrowserModel::Ready(m) => Some(m),
            _ => None,
        }
    }

    /// Fetches the blob unless the browser already holds `version`.
    async fn sync_blob(self, version: &str) {
        let current = self.local();
        if current.as_ref().is_some_and(|m| m.version() == version) {
            return;
        }
        if current.is_none() {
            self.browser_model.set(BrowserModel::Loading);
        }
        match client::blob().await {
            Ok(Some(bytes)) => match LocalModel::decode(&bytes) {
                Ok(model) => self.browser_model.set(BrowserModel::Ready(Arc::new(model))),
                Err(e) => self
                    .browser_model
                    .set(BrowserModel::Failed(format!("the blob is invalid: {e}"))),
            },
            Ok(None) => {}
            Err(e) if current.is_some() => {
                // Keep the copy we have; the next poll tries again.
                leptos::logging::warn!("blob refresh failed: {e}");
            }
            Err(e) => self.browser_model.set(BrowserModel::Failed(e.to_string())),
        }
    }

    /// Asks the server which model it serves, and fetches that model's blob if it is new.
    pub(crate) async fn refresh_model(self) {
        match client::model().await {
            Ok(info) => {
                let version = info.version.clone();
                self.server_model.set(ServerModel::Ready(info));
                self.sync_blob(&version).await;
            }
            Err(FetchError::NoModel) => self.server_model.set(ServerModel::None),
            Err(e) => self
                .server_model
                .set(ServerModel::Unreachable(e.to_string())),
        }
    }

    /// Asks the server and the browser for recommendations for the seeds, and compares them.
    pub(crate) async fn recommend(self) {
        let songs = self.seeds.inputs_untracked();
        if songs.is_empty() {
            return;
        }
        let k = self.k.get_untracked();
        let strategy = self.strategy.get_untracked();
        self.busy.set(true);
        let request = api::RecommendRequest {
            songs,
            k: Some(k),
            strategy: Some(api::StrategyName::from(strategy)),
        };
        let server = client::recommend(&request).await;
        if let Ok(answer) = &server {
            // The server moved on to a newer model: follow it before comparing.
            self.sync_blob(&answer.version).await;
        }
        // The same strategy as the server was asked for, so that the verdict stays exact.
        let browser = self
            .local()
            .map(|m| m.recommend(&request.songs, k, strategy));
        let verdict = match (&server, &browser) {
            (Ok(s), Some(b)) => Some(verdict::compare(s, b)),
            _ => None,
        };
        let run = self
            .outcome
            .with_untracked(|o| o.as_ref().map_or(1, |o| o.run + 1));
        self.outcome.set(Some(Outcome {
            run,
            strategy,
            server,
            browser,
            verdict,
        }));
        self.busy.set(false);
    }
}
