//! "Inside the model": the browser's copy of the model as a histogram of rule confidence and
//! a list of its top rules.

use leptos::prelude::*;

use crate::format::thousands;
use crate::state::BrowserModel;
use crate::stats::TopRule;

/// The model view, once the browser holds a model.
#[component]
pub(crate) fn ModelView(
    /// The browser's copy of the model.
    #[prop(into)]
    browser: Signal<BrowserModel>,
) -> impl IntoView {
    move || match browser.get() {
        BrowserModel::Ready(m) => view! {
            <section class="card" aria-labelledby="view-title">
                <h2 id="view-title">"Inside the model"</h2>
                <div class="columns">
                    <Histogram counts=m.stats.histogram rules=m.model.rule_count() />
                    <TopRules rules=m.stats.top_rules.clone() />
                </div>
            </section>
        }
        .into_any(),
        _ => ().into_any(),
    }
}

/// Rules per confidence decile, as bars.
#[component]
fn Histogram(
    /// Rules per confidence decile: `[0, 0.1)`, ..., `[0.9, 1]`.
    counts: [usize; 10],
    /// Rules in the model.
    rules: usize,
) -> impl IntoView {
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let bars = counts.iter().enumerate().map(|(i, &n)| {
        let height = 100.0 * n as f64 / max as f64;
        let x = 30 + i as i32 * 34;
        view! {
            <g>
                <rect x=x.to_string() y=format!("{:.1}", 110.0 - height) width="28" height=format!("{height:.1}") class="bar">
                    <title>{format!("{} rules with confidence {:.1}–{:.1}", n, i as f64 / 10.0, (i + 1) as f64 / 10.0)}</title>
                </rect>
                <text x=(x + 14).to_string() y="126" text-anchor="middle" class="axis">{format!("{:.1}", i as f64 / 10.0)}</text>
            </g>
        }
    }).collect_view();
    view! {
        <figure>
            <svg viewBox="0 0 380 140" role="img" aria-label="Histogram of rule confidence" data-testid="histogram">
                <line x1="26" y1="110" x2="372" y2="110" class="axis-line" />
                {bars}
            </svg>
            <figcaption>{format!("Rules by confidence ({} rules; tallest bar {})", thousands(rules), thousands(max))}</figcaption>
        </figure>
    }
}

/// The rules of highest confidence, best first.
#[component]
fn TopRules(
    /// The rules.
    rules: Vec<TopRule>,
) -> impl IntoView {
    view! {
        <div>
            <h3>"Top rules by confidence"</h3>
            <ol class="rules" data-testid="top-rules">
                {rules.into_iter().map(|r| view! {
                    <li>
                        {r.antecedent.join(" + ")} " → " <strong>{r.consequent}</strong>
                        <span class="small">{format!(" confidence {:.2} · lift {:.1} · {} playlists", r.confidence, r.lift, thousands(r.count as usize))}</span>
                    </li>
                }).collect_view()}
            </ol>
        </div>
    }
}
