//! The recommendations card: the server's and the browser's answers to the last press of
//! Recommend side by side, with the verdict and notices about what went amiss.

use leptos::prelude::*;

use super::answer_list::AnswerList;
use super::verdict_line::VerdictLine;
use crate::client::FetchError;
use crate::format::short;
use crate::state::Outcome;

/// The recommendations card, once Recommend has been pressed.
#[component]
pub(crate) fn Results(
    /// The last press of Recommend, if any.
    #[prop(into)]
    outcome: Signal<Option<Outcome>>,
) -> impl IntoView {
    move || {
        outcome
            .get()
            .map(|outcome| view! { <OutcomeCard outcome /> })
    }
}

/// The answers to one press of Recommend.
#[component]
fn OutcomeCard(
    /// What the server and the browser answered.
    outcome: Outcome,
) -> impl IntoView {
    let o = outcome;
    let names = seed_names(&o);
    let server_column = match &o.server {
        Ok(answer) => view! { <AnswerList answer=answer.clone() names=names.clone() testid="server" /> }.into_any(),
        Err(e) => view! { <p class="error" data-testid="server-error">{format!("The server could not answer: {e}.")}</p> }.into_any(),
    };
    let browser_column = match &o.browser {
        Some(answer) => {
            view! { <AnswerList answer=answer.clone() names=names.clone() testid="browser" /> }
                .into_any()
        }
        None => view! { <p class="muted">"The browser has no model yet."</p> }.into_any(),
    };
    let offline = o.server.as_ref().err().filter(|e| matches!(e, FetchError::Network(_))).and(o.browser.as_ref()).map(|b| view! {
        <p class="notice" data-testid="offline">
            {format!("The server is unreachable: this answer comes from the browser's engine alone (model {}).", short(&b.version))}
        </p>
    });
    let unknown = o
        .server
        .as_ref()
        .ok()
        .map(|a| a.unknown.clone())
        .or_else(|| o.browser.as_ref().map(|b| b.unknown.clone()))
        .unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="results-title" data-testid="results" data-run=o.run.to_string() data-strategy=o.strategy.name()>
            <h2 id="results-title">"Recommendations"</h2>
            {offline}
            {(!unknown.is_empty()).then(|| view! {
                <p class="notice" data-testid="unknown">{format!("Not in the catalog: {}", unknown.join(", "))}</p>
            })}
            {o.verdict.map(|verdict| view! { <VerdictLine verdict /> })}
            <div class="columns">
                <div><h3>"Server"</h3>{server_column}</div>
                <div><h3>"In your browser (wasm)"</h3>{browser_column}</div>
            </div>
        </section>
    }
}

/// Seed URI -> name, from whichever answer resolved them.
fn seed_names(o: &Outcome) -> Vec<(String, String)> {
    let resolved = match (&o.server, &o.browser) {
        (Ok(s), _) => &s.resolved,
        (_, Some(b)) => &b.resolved,
        _ => return Vec::new(),
    };
    resolved
        .iter()
        .map(|r| (r.uri.to_string(), r.name.to_string()))
        .collect()
}
