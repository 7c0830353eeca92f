//! The seeds card: the sample, the search box, the chosen seeds and the request's controls.

use leptos::prelude::*;

use super::chips::Chips;
use super::controls::Controls;
use super::sample_list::SampleList;
use super::search_box::SearchBox;
use crate::state::Seeds;

/// The seeds card.
#[component]
pub(crate) fn SeedPicker(
    /// The chosen seeds.
    seeds: Seeds,
    /// The id of the server's model, if it serves one: a new one brings a new sample.
    #[prop(into)]
    model_version: Signal<Option<String>>,
    /// Tracks to recommend.
    k: RwSignal<usize>,
    /// How both the server and the browser rank.
    strategy: RwSignal<engine::Strategy>,
    /// Whether an answer is awaited.
    #[prop(into)]
    busy: Signal<bool>,
    /// Asks for recommendations for the seeds.
    #[prop(into)]
    on_recommend: Callback<()>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="seeds-title">
            <h2 id="seeds-title">"Seeds"</h2>
            <SampleList seeds model_version />
            <SearchBox seeds />
            <Chips seeds />
            <Controls k strategy ready=Signal::derive(move || !seeds.is_empty()) busy on_recommend />
        </section>
    }
}
