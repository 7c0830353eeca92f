//! Segue's test page (Leptos, client-side rendered, built by trunk from the root `index.html`).
//!
//! It picks seeds, asks the server for recommendations, and ranks the same seeds in the browser
//! with the engine compiled to wasm from the blob the server publishes at `/api/model/blob`,
//! then shows whether both answers agree.

mod api;
mod app;
mod local;

fn main() {
    console_error_panic_hook_lite();
    leptos::mount::mount_to_body(app::App);
}

/// Panics go to the console with their message (wasm's default is an opaque "unreachable").
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        leptos::logging::error!("panic: {info}");
    }));
}
