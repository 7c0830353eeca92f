//! The chosen seeds, as chips with a button that removes each.

use leptos::prelude::*;

use crate::state::{Seed, Seeds};

/// The chosen seeds.
#[component]
pub(crate) fn Chips(
    /// The chosen seeds, which the chips' buttons remove.
    seeds: Seeds,
) -> impl IntoView {
    view! {
        <div class="chosen">
            <h3>"Chosen"</h3>
            <ul class="chips" data-testid="chips">
                {move || {
                    let chosen = seeds.get();
                    if chosen.is_empty() {
                        return view! { <li class="muted">"none yet: tick a track or search"</li> }.into_any();
                    }
                    chosen.into_iter().map(|seed| view! { <Chip seed seeds /> }).collect_view().into_any()
                }}
            </ul>
        </div>
    }
}

/// One chosen seed.
#[component]
fn Chip(
    /// The seed.
    seed: Seed,
    /// The chosen seeds, which its button removes it from.
    seeds: Seeds,
) -> impl IntoView {
    let Seed { input, label } = seed;
    let removed = input.clone();
    view! {
        <li class="chip" data-testid="chip" data-input=input>
            <span>{label.clone()}</span>
            <button type="button" aria-label=format!("Remove {label}")
                on:click=move |_| seeds.remove(&removed)>"×"</button>
        </li>
    }
}
