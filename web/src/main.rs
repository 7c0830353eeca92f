//! Segue's test page (Leptos, client-side rendered, built by trunk from the root `index.html`).
//!
//! The full page (seed picking, server and in-browser recommendations side by side) arrives
//! with its own issue; today it shows which blob format the in-browser engine reads.

use leptos::prelude::*;

fn main() {
    mount_to_body(App);
}

/// The page.
#[component]
fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"Segue"</h1>
            <p>"Playlist continuation from association rules."</p>
            <p>{format!("In-browser engine ready: reads rule blob format {}.", engine::FORMAT_VERSION)}</p>
        </main>
    }
}
