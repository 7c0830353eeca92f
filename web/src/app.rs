//! The page: the model at a glance, seed picking (sample, search, free text), the server's and
//! the browser's answers side by side with a verdict, and a small view of the model.

// `#[component]` expands to `pub` props structs, which a binary cannot export.
#![allow(unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use api::{ModelInfo, RecommendResponse, TrackInfo};

use crate::client::{self, FetchError};
use crate::format::source_name;
use crate::local::LocalModel;
use crate::verdict::{self, Verdict};

/// How often the page asks which model the server has.
const MODEL_POLL: Duration = Duration::from_secs(3);
/// Tracks in a sample.
const SAMPLE: usize = 12;

/// A chosen seed: what is sent, and how it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seed {
    /// A track URI (picked from the catalog) or text as typed.
    input: String,
    label: String,
}

/// The server's model as the page last saw it.
#[derive(Clone, Debug, PartialEq)]
enum ServerModel {
    Loading,
    Ready(ModelInfo),
    None,
    Unreachable(String),
}

/// The browser's copy of the model.
#[derive(Clone, Debug)]
enum BrowserModel {
    Absent,
    Loading,
    Ready(Arc<LocalModel>),
    Failed(String),
}

/// One press of "Recommend".
#[derive(Clone, Debug)]
struct Outcome {
    /// 1 for the first press, then 2, ... (tests wait on it).
    run: u32,
    /// The strategy both the server and the browser ranked with.
    strategy: engine::Strategy,
    server: Result<RecommendResponse<'static>, FetchError>,
    browser: Option<RecommendResponse<'static>>,
    verdict: Option<Verdict>,
}

#[derive(Clone, Copy)]
struct State {
    server_model: RwSignal<ServerModel>,
    browser_model: RwSignal<BrowserModel>,
    seeds: RwSignal<Vec<Seed>>,
    k: RwSignal<usize>,
    strategy: RwSignal<engine::Strategy>,
    outcome: RwSignal<Option<Outcome>>,
    busy: RwSignal<bool>,
}

impl State {
    fn local(&self) -> Option<Arc<LocalModel>> {
        match self.browser_model.get_untracked() {
            BrowserModel::Ready(m) => Some(m),
            _ => None,
        }
    }

    /// Fetches the blob unless the browser already holds `version`.
    async fn sync_blob(self, version: &str) {
        let current = self.local();
        if current.as_ref().is_some_and(|m| m.version() == version) {
            return;
        }
        if current.is_none() {
            self.browser_model.set(BrowserModel::Loading);
        }
        match client::blob().await {
            Ok(Some(bytes)) => match LocalModel::decode(&bytes) {
                Ok(model) => self.browser_model.set(BrowserModel::Ready(Arc::new(model))),
                Err(e) => self
                    .browser_model
                    .set(BrowserModel::Failed(format!("the blob is invalid: {e}"))),
            },
            Ok(None) => {}
            Err(e) if current.is_some() => {
                // Keep the copy we have; the next poll tries again.
                leptos::logging::warn!("blob refresh failed: {e}");
            }
            Err(e) => self.browser_model.set(BrowserModel::Failed(e.to_string())),
        }
    }

    async fn refresh_model(self) {
        match client::model().await {
            Ok(info) => {
                let version = info.version.clone();
                self.server_model.set(ServerModel::Ready(info));
                self.sync_blob(&version).await;
            }
            Err(FetchError::NoModel) => self.server_model.set(ServerModel::None),
            Err(e) => self
                .server_model
                .set(ServerModel::Unreachable(e.to_string())),
        }
    }

    async fn recommend(self) {
        let songs: Vec<String> = self
            .seeds
            .get_untracked()
            .into_iter()
            .map(|s| s.input)
            .collect();
        if songs.is_empty() {
            return;
        }
        let k = self.k.get_untracked();
        let strategy = self.strategy.get_untracked();
        self.busy.set(true);
        let request = api::RecommendRequest {
            songs,
            k: Some(k),
            strategy: Some(api::StrategyName::from(strategy)),
        };
        let server = client::recommend(&request).await;
        let songs = request.songs;
        if let Ok(answer) = &server {
            // The server moved on to a newer model: follow it before comparing.
            self.sync_blob(&answer.version).await;
        }
        // The same strategy as the server was asked for, so that the verdict stays exact.
        let browser = self.local().map(|m| m.recommend(&songs, k, strategy));
        let verdict = match (&server, &browser) {
            (Ok(s), Some(b)) => Some(verdict::compare(s, b)),
            _ => None,
        };
        let run = self
            .outcome
            .with_untracked(|o| o.as_ref().map_or(1, |o| o.run + 1));
        self.outcome.set(Some(Outcome {
            run,
            strategy,
            server,
            browser,
            verdict,
        }));
        self.busy.set(false);
    }
}

/// The page.
#[component]
pub(crate) fn App() -> impl IntoView {
    let state = State {
        server_model: RwSignal::new(ServerModel::Loading),
        browser_model: RwSignal::new(BrowserModel::Absent),
        seeds: RwSignal::new(Vec::new()),
        k: RwSignal::new(10),
        strategy: RwSignal::new(engine::Strategy::default()),
        outcome: RwSignal::new(None),
        busy: RwSignal::new(false),
    };
    provide_context(state);
    spawn_local(state.refresh_model());
    set_interval(move || spawn_local(state.refresh_model()), MODEL_POLL);

    view! {
        <header>
            <h1>"Segue"</h1>
            <p class="tagline">"Pick a few songs; get the songs that most often go with them in real playlists, and the rule behind each."</p>
            <nav><a href="/docs">"API documentation"</a></nav>
        </header>
        <main>
            <ModelCard />
            <SeedPicker />
            <Results />
            <ModelView />
        </main>
    }
}

#[component]
fn ModelCard() -> impl IntoView {
    let state = expect_context::<State>();
    let browser_line = move || match state.browser_model.get() {
        BrowserModel::Absent => "not loaded".to_owned(),
        BrowserModel::Loading => "loading the model…".to_owned(),
        BrowserModel::Ready(m) => format!("model {} loaded", short(m.version())),
        BrowserModel::Failed(e) => format!("could not load the model: {e}"),
    };
    view! {
        <section class="card" aria-labelledby="model-title" data-testid="model-card">
            <h2 id="model-title">"Model"</h2>
            {move || match state.server_model.get() {
                ServerModel::Loading => view! { <p>"Asking the server…"</p> }.into_any(),
                ServerModel::None => view! {
                    <p class="notice" data-testid="no-model">
                        "No model has been published yet. Run the miner; this page picks the model up by itself."
                    </p>
                }.into_any(),
                ServerModel::Unreachable(e) => view! {
                    <p class="error" data-testid="server-unreachable">{format!("Cannot reach the server: {e}.")}</p>
                }.into_any(),
                ServerModel::Ready(m) => view! {
                    <dl class="stats">
                        <div><dt>"Version"</dt><dd data-testid="model-version" data-version=m.version.clone() title=m.version.clone()>{short(&m.version)}</dd></div>
                        <div><dt>"Mined"</dt><dd>{m.model_date.clone()}</dd></div>
                        <div><dt>"Dataset"</dt><dd>{m.datasets.join(", ")}</dd></div>
                        <div><dt>"Playlists"</dt><dd>{thousands(m.playlists as usize)}</dd></div>
                        <div><dt>"Tracks"</dt><dd>{thousands(m.tracks)}</dd></div>
                        <div><dt>"Rules"</dt><dd>{thousands(m.rules)}</dd></div>
                    </dl>
                }.into_any(),
            }}
            <p class="muted" data-testid="browser-model">"In this browser: " {browser_line}</p>
        </section>
    }
}

#[component]
fn SeedPicker() -> impl IntoView {
    let state = expect_context::<State>();
    let sample = RwSignal::new(Vec::<TrackInfo<'static>>::new());
    let sample_error = RwSignal::new(None::<String>);
    let load_sample = move || {
        spawn_local(async move {
            match client::sample(SAMPLE, None).await {
                Ok((_, tracks)) => {
                    sample.set(tracks);
                    sample_error.set(None);
                }
                Err(e) => sample_error.set(Some(e.to_string())),
            }
        })
    };
    // A sample as soon as the server has a model, and a fresh one whenever the model changes
    // (the old sample's tracks may not be in the new catalog).
    Effect::new(move |seen: Option<Option<String>>| {
        let version = match state.server_model.get() {
            ServerModel::Ready(m) => Some(m.version),
            _ => seen.clone().flatten(),
        };
        if version.is_some() && version != seen.flatten() {
            load_sample();
        }
        version
    });

    let query = RwSignal::new(String::new());
    let suggestions = RwSignal::new(Vec::<TrackInfo<'static>>::new());
    let search_error = RwSignal::new(None::<String>);
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
                    let result = client::search(&text, 8).await;
                    // Only the latest query's answer counts.
                    if query.get_untracked() != text {
                        return;
                    }
                    match result {
                        Ok(found) => {
                            suggestions.set(found);
                            search_error.set(None);
                        }
                        Err(e) => search_error.set(Some(e.to_string())),
                    }
                })
            },
            Duration::from_millis(120),
        )
        .ok();
        pending.set_value(handle);
    };
    let add = move |seed: Seed| {
        state.seeds.update(|s| {
            if !s.iter().any(|x| x.input == seed.input) {
                s.push(seed);
            }
        })
    };
    let remove = move |input: String| state.seeds.update(|s| s.retain(|x| x.input != input));
    let pick = move |t: &TrackInfo<'static>| Seed {
        input: t.uri.to_string(),
        label: format!("{} — {}", t.name, t.artist),
    };
    let add_typed = move || {
        let text = query.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        add(Seed {
            input: text.clone(),
            label: text,
        });
        query.set(String::new());
        suggestions.set(Vec::new());
    };

    view! {
        <section class="card" aria-labelledby="seeds-title">
            <h2 id="seeds-title">"Seeds"</h2>
            <div class="sample">
                <div class="row">
                    <h3>"Popular tracks"</h3>
                    <button type="button" data-testid="new-sample" on:click=move |_| load_sample()>"New sample"</button>
                </div>
                {move || sample_error.get().map(|e| view! { <p class="error">{e}</p> })}
                <ul class="checks">
                    <For each=move || sample.get() key=|t| t.uri.clone() let:track>
                        {
                            let uri = track.uri.to_string();
                            let uri_checked = uri.clone();
                            let seed = pick(&track);
                            let checked = move || state.seeds.with(|s| s.iter().any(|x| x.input == uri_checked));
                            view! {
                                <li>
                                    <label>
                                        <input type="checkbox" data-testid="sample-track" data-uri=uri.clone()
                                            prop:checked=checked
                                            on:change=move |ev| {
                                                if event_target_checked(&ev) { add(seed.clone()) } else { remove(uri.clone()) }
                                            } />
                                        <span>{track.name.clone()}</span>
                                        <span class="muted">{format!(" — {}", track.artist)}</span>
                                    </label>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </div>
            <div class="search">
                <label for="search">"Search songs and artists"</label>
                <input id="search" type="search" autocomplete="off" data-testid="search"
                    placeholder="type a song or an artist; Enter adds what you typed"
                    prop:value=move || query.get()
                    on:input=on_input
                    on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Enter" { ev.prevent_default(); add_typed() } />
                {move || search_error.get().map(|e| view! { <p class="error">{e}</p> })}
                <ul class="suggestions" role="listbox" aria-label="Suggestions">
                    <For each=move || suggestions.get() key=|t| t.uri.clone() let:track>
                        {
                            let seed = pick(&track);
                            view! {
                                <li role="option">
                                    <button type="button" data-testid="suggestion" data-uri=track.uri.clone()
                                        on:click=move |_| {
                                            add(seed.clone());
                                            query.set(String::new());
                                            suggestions.set(Vec::new());
                                        }>
                                        {track.name.clone()} <span class="muted">{format!(" — {}", track.artist)}</span>
                                    </button>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </div>
            <div class="chosen">
                <h3>"Chosen"</h3>
                <ul class="chips" data-testid="chips">
                    {move || {
                        let seeds = state.seeds.get();
                        if seeds.is_empty() {
                            return view! { <li class="muted">"none yet: tick a track or search"</li> }.into_any();
                        }
                        seeds.into_iter().map(|s| {
                            let input = s.input.clone();
                            view! {
                                <li class="chip" data-testid="chip" data-input=s.input.clone()>
                                    <span>{s.label.clone()}</span>
                                    <button type="button" aria-label=format!("Remove {}", s.label)
                                        on:click=move |_| remove(input.clone())>"×"</button>
                                </li>
                            }
                        }).collect_view().into_any()
                    }}
                </ul>
            </div>
            <div class="row actions">
                <label>"Tracks to recommend "
                    <select data-testid="k" on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse() { state.k.set(k) }
                    }>
                        {[5usize, 10, 20, 50].into_iter().map(|k| view! {
                            <option value=k.to_string() selected=move || state.k.get() == k>{k}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Ranking "
                    <select data-testid="strategy" on:change=move |ev| {
                        if let Some(s) = engine::Strategy::from_name(&event_target_value(&ev)) { state.strategy.set(s) }
                    }>
                        {engine::Strategy::ALL.into_iter().map(|s| view! {
                            <option value=s.name() selected=move || state.strategy.get() == s>{strategy_label(s)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" class="primary" data-testid="recommend"
                    disabled=move || state.seeds.with(Vec::is_empty) || state.busy.get()
                    on:click=move |_| spawn_local(state.recommend())>
                    {move || if state.busy.get() { "Recommending…" } else { "Recommend" }}
                </button>
            </div>
        </section>
    }
}

#[component]
fn Results() -> impl IntoView {
    let state = expect_context::<State>();
    view! {
        {move || state.outcome.get().map(|o| {
            let names = seed_names(&o);
            let server_column = match &o.server {
                Ok(answer) => view! { <AnswerList answer=answer.clone() names=names.clone() testid="server" /> }.into_any(),
                Err(e) => view! { <p class="error" data-testid="server-error">{format!("The server could not answer: {e}.")}</p> }.into_any(),
            };
            let browser_column = match &o.browser {
                Some(answer) => view! { <AnswerList answer=answer.clone() names=names.clone() testid="browser" /> }.into_any(),
                None => view! { <p class="muted">"The browser has no model yet."</p> }.into_any(),
            };
            let offline = o.server.as_ref().err().filter(|e| matches!(e, FetchError::Network(_))).and(o.browser.as_ref()).map(|b| view! {
                <p class="notice" data-testid="offline">
                    {format!("The server is unreachable: this answer comes from the browser's engine alone (model {}).", short(&b.version))}
                </p>
            });
            let unknown = o.server.as_ref().ok().map(|a| a.unknown.clone()).or_else(|| o.browser.as_ref().map(|b| b.unknown.clone())).unwrap_or_default();
            view! {
                <section class="card" aria-labelledby="results-title" data-testid="results" data-run=o.run.to_string() data-strategy=o.strategy.name()>
                    <h2 id="results-title">"Recommendations"</h2>
                    {offline}
                    {(!unknown.is_empty()).then(|| view! {
                        <p class="notice" data-testid="unknown">{format!("Not in the catalog: {}", unknown.join(", "))}</p>
                    })}
                    {o.verdict.clone().map(|v| view! { <VerdictLine verdict=v /> })}
                    <div class="columns">
                        <div><h3>"Server"</h3>{server_column}</div>
                        <div><h3>"In your browser (wasm)"</h3>{browser_column}</div>
                    </div>
                </section>
            }
        })}
    }
}

/// Seed URI -> name, from whichever answer resolved them.
/// A strategy, for people.
fn strategy_label(s: engine::Strategy) -> &'static str {
    match s {
        engine::Strategy::Original => "best single-seed rule (original)",
        engine::Strategy::BestConfidence => "best rule",
        engine::Strategy::Sum => "sum of rules",
        engine::Strategy::NoisyOr => "noisy-or of rules",
        engine::Strategy::LiftWeighted => "lift-weighted sum",
        _ => "other",
    }
}

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

#[component]
fn AnswerList(
    answer: RecommendResponse<'static>,
    names: Vec<(String, String)>,
    testid: &'static str,
) -> impl IntoView {
    let name_of = move |uri: &str| {
        names
            .iter()
            .find(|(u, _)| u == uri)
            .map_or_else(|| uri.to_owned(), |(_, n)| n.clone())
    };
    view! {
        <ol class="answer" data-testid=testid data-version=answer.version.clone()>
            {answer.tracks.into_iter().map(|t| {
                let because = match t.because.split_first() {
                    Some((first, [])) => format!("because you picked {}", name_of(first)),
                    Some((first, rest)) => format!("because you picked {} (+{})", name_of(first), rest.iter().map(|u| name_of(u)).collect::<Vec<_>>().join(", ")),
                    None => "popular pick: no rule fired".to_owned(),
                };
                let popular = t.source == api::SourceName::Popular;
                view! {
                    <li data-testid="track" data-uri=t.uri.clone() data-source=source_name(t.source) class:popular=popular>
                        <div><strong>{t.name.clone()}</strong> <span class="muted">{format!(" — {}", t.artist)}</span></div>
                        <div class="small">
                            {if popular {
                                format!("in {} playlists · {because}", thousands(t.support as usize))
                            } else {
                                format!("score {:.3} · lift {:.2} · {because}", t.score, t.lift)
                            }}
                        </div>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn VerdictLine(verdict: Verdict) -> impl IntoView {
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

#[component]
fn ModelView() -> impl IntoView {
    let state = expect_context::<State>();
    move || match state.browser_model.get() {
        BrowserModel::Ready(m) => {
            let max = m.stats.histogram.iter().copied().max().unwrap_or(0).max(1);
            let bars = m.stats.histogram.iter().enumerate().map(|(i, &n)| {
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
                <section class="card" aria-labelledby="view-title">
                    <h2 id="view-title">"Inside the model"</h2>
                    <div class="columns">
                        <figure>
                            <svg viewBox="0 0 380 140" role="img" aria-label="Histogram of rule confidence" data-testid="histogram">
                                <line x1="26" y1="110" x2="372" y2="110" class="axis-line" />
                                {bars}
                            </svg>
                            <figcaption>{format!("Rules by confidence ({} rules; tallest bar {})", thousands(m.model.rule_count()), thousands(max))}</figcaption>
                        </figure>
                        <div>
                            <h3>"Top rules by confidence"</h3>
                            <ol class="rules" data-testid="top-rules">
                                {m.stats.top_rules.iter().map(|r| view! {
                                    <li>
                                        {r.antecedent.join(" + ")} " → " <strong>{r.consequent.clone()}</strong>
                                        <span class="small">{format!(" confidence {:.2} · lift {:.1} · {} playlists", r.confidence, r.lift, thousands(r.count as usize))}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        </div>
                    </div>
                </section>
            }.into_any()
        }
        _ => ().into_any(),
    }
}

fn short(version: &str) -> String {
    version.chars().take(12).collect()
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
