//! The request's settings (how many tracks, which ranking) and the Recommend button.

use leptos::prelude::*;

/// The choices of how many tracks to recommend.
const K_CHOICES: [usize; 4] = [5, 10, 20, 50];

/// The settings and the Recommend button, in one row.
#[component]
pub(crate) fn Controls(
    /// Tracks to recommend.
    k: RwSignal<usize>,
    /// How both the server and the browser rank.
    strategy: RwSignal<engine::Strategy>,
    /// Whether there are seeds to recommend for.
    #[prop(into)]
    ready: Signal<bool>,
    /// Whether an answer is awaited.
    #[prop(into)]
    busy: Signal<bool>,
    /// Asks for recommendations.
    #[prop(into)]
    on_recommend: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="row actions">
            <KSelect k />
            <StrategySelect strategy />
            <button type="button" class="primary" data-testid="recommend"
                disabled=move || !ready.get() || busy.get()
                on:click=move |_| on_recommend.run(())>
                {move || if busy.get() { "Recommending…" } else { "Recommend" }}
            </button>
        </div>
    }
}

/// How many tracks to recommend.
#[component]
fn KSelect(
    /// Tracks to recommend.
    k: RwSignal<usize>,
) -> impl IntoView {
    view! {
        <label>"Tracks to recommend "
            <select data-testid="k" on:change=move |ev| {
                if let Ok(n) = event_target_value(&ev).parse() { k.set(n) }
            }>
                {K_CHOICES.into_iter().map(|n| view! {
                    <option value=n.to_string() selected=move || k.get() == n>{n}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// Which ranking both the server and the browser use.
#[component]
fn StrategySelect(
    /// The strategy.
    strategy: RwSignal<engine::Strategy>,
) -> impl IntoView {
    view! {
        <label>"Ranking "
            <select data-testid="strategy" on:change=move |ev| {
                if let Some(s) = engine::Strategy::from_name(&event_target_value(&ev)) { strategy.set(s) }
            }>
                {engine::Strategy::ALL.into_iter().map(|s| view! {
                    <option value=s.name() selected=move || strategy.get() == s>{label(s)}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// A strategy, for people.
fn label(s: engine::Strategy) -> &'static str {
    match s {
        engine::Strategy::Original => "best single-seed rule (original)",
        engine::Strategy::BestConfidence => "best rule",
        engine::Strategy::Sum => "sum of rules",
        engine::Strategy::NoisyOr => "noisy-or of rules",
        engine::Strategy::LiftWeighted => "lift-weighted sum",
        engine::Strategy::Cosine => "cosine of playlists",
        engine::Strategy::Adaptive => "adaptive: the model's rule by seed count",
        _ => "other",
    }
}
