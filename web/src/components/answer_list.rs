//! One answer (the server's or the browser's) as a ranked list, each track with its reason.

use leptos::prelude::*;

use api::{RecommendResponse, RecommendedTrack, SourceName};

use crate::format::{source_name, thousands};

/// A ranked list of recommended tracks.
#[component]
pub(crate) fn AnswerList(
    /// The answer.
    answer: RecommendResponse<'static>,
    /// Seed URI -> name, to say which seeds a rule fired for.
    names: Vec<(String, String)>,
    /// The list's `data-testid`: whose answer it is (`server`, `browser`).
    testid: &'static str,
) -> impl IntoView {
    view! {
        <ol class="answer" data-testid=testid data-version=answer.version.to_string()>
            {answer.tracks.into_iter().map(|t| {
                let because = because(&t, &names);
                view! { <AnswerTrack track=t because /> }
            }).collect_view()}
        </ol>
    }
}

/// One recommended track: rule picks with their score and lift, popular picks with their
/// playlists.
#[component]
fn AnswerTrack(
    /// The track.
    track: RecommendedTrack<'static>,
    /// Why it is recommended, for people.
    because: String,
) -> impl IntoView {
    let t = track;
    let popular = t.source == SourceName::Popular;
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
}

/// Why `track` is recommended: the seeds of its rule, named from `names`, or no rule at all.
fn because(track: &RecommendedTrack<'_>, names: &[(String, String)]) -> String {
    let name_of = |uri: &str| {
        names
            .iter()
            .find(|(u, _)| u == uri)
            .map_or_else(|| uri.to_owned(), |(_, n)| n.clone())
    };
    match track.because.split_first() {
        Some((first, [])) => format!("because you picked {}", name_of(first)),
        Some((first, rest)) => format!(
            "because you picked {} (+{})",
            name_of(first),
            rest.iter()
                .map(|u| name_of(u))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "popular pick: no rule fired".to_owned(),
    }
}
