//! The model card: the model the server serves, and the browser's copy of it.

use leptos::prelude::*;

use crate::format::{short, thousands};
use crate::state::{BrowserModel, ServerModel};

/// The model card.
#[component]
pub(crate) fn ModelCard(
    /// The server's model, as last asked.
    #[prop(into)]
    server: Signal<ServerModel>,
    /// The browser's copy of the model.
    #[prop(into)]
    browser: Signal<BrowserModel>,
) -> impl IntoView {
    let browser_line = move || match browser.get() {
        BrowserModel::Absent => "not loaded".to_owned(),
        BrowserModel::Loading => "loading the model…".to_owned(),
        BrowserModel::Ready(m) => format!("model {} loaded", short(m.version())),
        BrowserModel::Failed(e) => format!("could not load the model: {e}"),
    };
    view! {
        <section class="card" aria-labelledby="model-title" data-testid="model-card">
            <h2 id="model-title">"Model"</h2>
            {move || match server.get() {
                ServerModel::Loading => view! { <p>"Asking the server…"</p> }.into_any(),
                ServerModel::None => view! {
                    <p class="notice" data-testid="no-model">
                        "No model has been published yet. Run the miner; this page picks the model up by itself."
                    </p>
                }.into_any(),
                ServerModel::Unreachable(e) => view! {
                    <p class="error" data-testid="server-unreachable">{format!("Cannot reach the server: {e}.")}</p>
                }.into_any(),
                ServerModel::Ready(info) => view! { <ModelFacts info /> }.into_any(),
            }}
            <p class="muted" data-testid="browser-model">"In this browser: " {browser_line}</p>
        </section>
    }
}

/// What the server says about its model.
#[component]
fn ModelFacts(
    /// The server's description of its model.
    info: api::ModelInfo,
) -> impl IntoView {
    view! {
        <dl class="stats">
            <div><dt>"Version"</dt><dd data-testid="model-version" data-version=info.version.clone() title=info.version.clone()>{short(&info.version)}</dd></div>
            <div><dt>"Mined"</dt><dd>{info.model_date}</dd></div>
            <div><dt>"Dataset"</dt><dd>{info.datasets.join(", ")}</dd></div>
            <div><dt>"Playlists"</dt><dd>{thousands(info.playlists as usize)}</dd></div>
            <div><dt>"Tracks"</dt><dd>{thousands(info.tracks)}</dd></div>
            <div><dt>"Rules"</dt><dd>{thousands(info.rules)}</dd></div>
        </dl>
    }
}
