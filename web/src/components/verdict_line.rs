//! The verdict, for people: identical, where the answers differ, or not compared.

use leptos::prelude::*;

use crate::format::short;
use crate::verdict::Verdict;

/// The verdict line.
#[component]
pub(crate) fn VerdictLine(
    /// How the browser's answer compares with the server's.
    verdict: Verdict,
) -> impl IntoView {
    match verdict {
        Verdict::Identical { tracks } => view! {
            <p class="verdict same" data-testid="verdict" data-verdict="identical">
                {format!("Identical: the browser's engine gave the same {tracks} tracks, in the same order, with the same scores and reasons.")}
            </p>
        }.into_any(),
        Verdict::Differs(differences) => view! {
            <div class="verdict differs" data-testid="verdict" data-verdict="differs">
                <p>"The answers differ:"</p>
                <ul>
                    {differences.into_iter().map(|d| view! {
                        <li>{if d.position == 0 { d.what } else { format!("position {}: {}", d.position, d.what) }}</li>
                    }).collect_view()}
                </ul>
            </div>
        }.into_any(),
        Verdict::OtherModel { server, browser } => view! {
            <p class="verdict pending" data-testid="verdict" data-verdict="other-model">
                {format!("Not compared: the server answered with model {} and the browser holds {}.", short(&server), short(&browser))}
            </p>
        }.into_any(),
    }
}
