//! Segue's test page (Leptos, client-side rendered, built by trunk from the root `index.html`).
//!
//! It picks seeds, asks the server for recommendations, and ranks the same seeds in the browser
//! with the engine compiled to wasm from the blob the server publishes at `/api/model/blob`,
//! then shows whether both answers agree.

mod app;
mod client;
mod components;
mod format;
mod local;
mod state;
mod stats;
mod verdict;

fn main() {
    console_error_panic_hook_lite();
    leptos::mount::mount_to_body(app::App);
}

/// A panic goes to the console with its message (wasm's default is an opaque "unreachable")
/// and to the page as a visible notice, so nobody is left with a page that silently stopped.
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        leptos::logging::error!("panic: {info}");
        if let Some(body) = leptos::prelude::document().body() {
            let notice = "<p class=\"error\" role=\"alert\" data-testid=\"panic\">Something went \
                wrong in this page; reload it to start again (details in the browser console).</p>";
            let _ = body.insert_adjacent_html("afterbegin", notice);
        }
    }));
}
