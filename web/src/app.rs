//! The page: its state, the poll that follows the server's model, and the layout of its cards.

// `#[component]` expands to `pub` props structs, which a binary cannot export.
#![allow(unreachable_pub)]

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::{ModelCard, ModelView, Results, SeedPicker};
use crate::state::State;

/// How often the page asks which model the server has.
const MODEL_POLL: Duration = Duration::from_secs(3);

/// The page.
#[component]
pub(crate) fn App() -> impl IntoView {
    let state = State::new();
    spawn_local(state.refresh_model());
    set_interval(move || spawn_local(state.refresh_model()), MODEL_POLL);

    view! {
        <header>
            <h1>"Segue"</h1>
            <p class="tagline">"Pick a few songs; get the songs that most often go with them in real playlists, and the rule behind each."</p>
            <nav><a href={api::paths::DOCS}>"API documentation"</a></nav>
        </header>
        <main>
            <ModelCard server=state.server_model browser=state.browser_model />
            <SeedPicker
                seeds=state.seeds
                model_version=Signal::derive(move || state.server_version())
                k=state.k
                strategy=state.strategy
                busy=state.busy
                on_recommend=move |()| spawn_local(state.recommend())
            />
            <Results outcome=state.outcome />
            <ModelView browser=state.browser_model />
        </main>
    }
}
