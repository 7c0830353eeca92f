//! The sample of popular tracks, each with a box that ticks it as a seed.

use leptos::prelude::*;
use leptos::task::spawn_local;

use api::TrackInfo;

use crate::client;
use crate::state::{Seed, Seeds};

/// Tracks in a sample.
const SAMPLE: usize = 12;

/// The sample, with a button for a new one.
#[component]
pub(crate) fn SampleList(
    /// The chosen seeds: ticking a track adds it, unticking removes it.
    seeds: Seeds,
    /// The id of the server's model, if it serves one: the first brings a sample, and every
    /// new one a fresh sample (the old sample's tracks may not be in the new catalog).
    #[prop(into)]
    model_version: Signal<Option<String>>,
) -> impl IntoView {
    let sample = RwSignal::new(Vec::<TrackInfo<'static>>::new());
    let error = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            match client::sample(SAMPLE, None).await {
                Ok((_, tracks)) => {
                    sample.set(tracks);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    // While the server has no model or cannot be reached, the last version seen stands: a
    // model that comes back unchanged keeps its sample.
    Effect::new(move |seen: Option<Option<String>>| {
        let version = model_version.get().or_else(|| seen.clone().flatten());
        if version.is_some() && version != seen.flatten() {
            load();
        }
        version
    });

    view! {
        <div class="sample">
            <div class="row">
                <h3>"Popular tracks"</h3>
                <button type="button" data-testid="new-sample" on:click=move |_| load()>"New sample"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            <ul class="checks">
                <For each=move || sample.get() key=|t| t.uri.clone() let:track>
                    <SampleTrack track seeds />
                </For>
            </ul>
        </div>
    }
}

/// One track of the sample, ticked while it is a seed.
#[component]
fn SampleTrack(
    /// The track.
    track: TrackInfo<'static>,
    /// The chosen seeds: ticking adds the track, unticking removes it.
    seeds: Seeds,
) -> impl IntoView {
    let seed = Seed::track(&track);
    let uri = seed.input.clone();
    let checked = {
        let uri = uri.clone();
        move || seeds.contains(&uri)
    };
    view! {
        <li>
            <label>
                <input type="checkbox" data-testid="sample-track" data-uri=uri.clone()
                    prop:checked=checked
                    on:change=move |ev| {
                        if event_target_checked(&ev) { seeds.add(seed.clone()) } else { seeds.remove(&uri) }
                    } />
                <span>{track.name}</span>
                <span class="muted">{format!(" — {}", track.artist)}</span>
            </label>
        </li>
    }
}
