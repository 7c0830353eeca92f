//! The search box: the catalog's matches suggested while typing, and Enter to add the text as
//! typed.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use api::TrackInfo;

use crate::client;
use crate::state::{Seed, Seeds};

/// Suggestions shown at most.
const SUGGESTIONS: usize = 8;
/// Typing pauses this long before the page searches.
const PAUSE: Duration = Duration::from_millis(120);

/// The search box and its suggestions.
#[component]
pub(crate) fn SearchBox(
    /// The chosen seeds: a picked suggestion, or the text on Enter, is added to them.
    seeds: Seeds,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let suggestions = RwSignal::new(Vec::<TrackInfo<'static>>::new());
    let error = RwSignal::new(None::<String>);
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        query.set(text.clone());
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        if text.trim().is_empty() {
            suggestions.set(Vec::new());
            return;
        }
        let handle = set_timeout_with_handle(
            move || {
                spawn_local(async move {
                    let result = client::search(&text, SUGGESTIONS).await;
                    // Only the latest query's answer counts.
                    if query.get_untracked() != text {
                        return;
                    }
                    match result {
                        Ok(found) => {
                            suggestions.set(found);
                            error.set(None);
                        }
                        Err(e) => error.set(Some(e.to_string())),
                    }
                })
            },
            PAUSE,
        )
        .ok();
        pending.set_value(handle);
    };
    let clear = move || {
        query.set(String::new());
        suggestions.set(Vec::new());
    };
    let add_typed = move || {
        let text = query.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        seeds.add(Seed::typed(text));
        clear();
    };
    let pick = move |track: TrackInfo<'static>| {
        seeds.add(Seed::track(&track));
        clear();
    };

    view! {
        <div class="search">
            <label for="search">"Search songs and artists"</label>
            <input id="search" type="search" autocomplete="off" data-testid="search"
                placeholder="type a song or an artist; Enter adds what you typed"
                prop:value=move || query.get()
                on:input=on_input
                on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Enter" { ev.prevent_default(); add_typed() } />
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            <Suggestions tracks=suggestions on_pick=pick />
        </div>
    }
}

/// The catalog's matches for the query, each a button that picks it.
#[component]
fn Suggestions(
    /// The matches, most popular first.
    #[prop(into)]
    tracks: Signal<Vec<TrackInfo<'static>>>,
    /// Called with the track picked.
    #[prop(into)]
    on_pick: Callback<TrackInfo<'static>>,
) -> impl IntoView {
    view! {
        <ul class="suggestions" role="listbox" aria-label="Suggestions">
            <For each=move || tracks.get() key=|t| t.uri.clone() let:track>
                {
                    let picked = track.clone();
                    view! {
                        <li role="option">
                            <button type="button" data-testid="suggestion" data-uri=track.uri
                                on:click=move |_| on_pick.run(picked.clone())>
                                {track.name} <span class="muted">{format!(" — {}", track.artist)}</span>
                            </button>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}
