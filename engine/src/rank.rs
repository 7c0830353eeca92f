//! Ranking: from seed songs to the tracks that most often go with them.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::model::{Model, TrackId};

/// Default number of recommendations.
pub const DEFAULT_K: usize = 10;

/// How the rules that fire for a candidate combine into its score.
///
/// A rule *fires* when its whole antecedent is among the seeds and its consequent is not a
/// seed (for [`Strategy::Original`], only rules with a single-track antecedent). Rules fire in one fixed order (antecedents in lexicographic order of their track ids,
/// each antecedent's rules by consequent), evidence is accumulated in `f64` and rounded once to
/// the `f32` score, and only correctly rounded operations (`+`, `×`, `÷`, `√`) are used, so a score
/// has the same bits natively and in WebAssembly.
///
/// Every strategy gives a total order on candidates: ties in score break by the lift of the
/// candidate's best rule (highest confidence, then lift, then support), then its support
/// count, then track id (the more popular track first). `because` is always the best rule's
/// antecedent.
///
/// `docs/quality.md` measures them against each other on held-out playlists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Strategy {
    /// The original service's ranking: the best confidence among the rules whose antecedent
    /// is a single seed; rules with larger antecedents are ignored, as the original had none.
    Original,
    /// The best confidence among all the rules that fire (the original's scoring, with
    /// multi-track antecedents). A candidate backed by one strong rule beats one backed by many
    /// good ones.
    BestConfidence,
    /// The sum of the confidences of every rule that fires: each seed (and each pair of seeds)
    /// that points at a candidate adds its evidence, so a track that goes with several seeds
    /// outranks one that goes with a single seed. Unbounded (can exceed 1).
    Sum,
    /// Noisy-or of the confidences, `1 - Π(1 - confidence)`: the chance that at least one rule
    /// "comes true" if they were independent. Like [`Strategy::Sum`] it rewards agreement,
    /// but with diminishing returns, and it stays within `[0, 1]`.
    NoisyOr,
    /// The sum over the rules that fire of `√(confidence × lift)`, that is
    /// `P(y | X) / √P(y)`: the confidence divided by the square root of the candidate's
    /// popularity. Counters the popularity bias of confidence (a very popular track has a high
    /// confidence after any seed) without letting rare tracks with huge lifts take over, as
    /// ranking by lift alone would. It measured best with many seeds (`docs/quality.md`).
    LiftWeighted,
    /// The sum over the rules that fire of `√(lift × support)`, support as a share of the
    /// playlists: `n(X ∪ y) / √(n(X) n(y))`, the cosine of the antecedent's and the
    /// candidate's playlist sets (item-kNN's similarity, over the mined rules only). Compared
    /// with [`Strategy::LiftWeighted`] it also weighs each rule by `√P(X)`, so evidence from a
    /// popular seed counts for more.
    Cosine,
    /// The default: the model's [`AdaptiveRule`] picks one of the other strategies by the
    /// number of distinct resolved seeds (`few` up to `max_few_seeds`, `many` above), and
    /// scores, order and `because` are exactly those of the strategy it picks. The built-in
    /// rule ([`AdaptiveRule::BUILT_IN`]: [`Strategy::Sum`] up to 25 seeds,
    /// [`Strategy::Cosine`] above) is that of a model given none; `miner mine` fits one per
    /// model on a validation part of its own playlists (`docs/quality.md`).
    #[default]
    Adaptive,
}

/// How [`Strategy::Adaptive`] picks a strategy: `few` when at most `max_few_seeds` distinct
/// seeds resolved, `many` with more. Stored in the model's metadata (blob format 2); a
/// model without one (format 1) has [`AdaptiveRule::BUILT_IN`]. `few` and `many` are never
/// [`Strategy::Adaptive`] (the validator refuses such a model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AdaptiveRule {
    /// The strategy with at most `max_few_seeds` distinct resolved seeds.
    pub few: Strategy,
    /// The most distinct resolved seeds scored with `few`.
    pub max_few_seeds: u32,
    /// The strategy with more than `max_few_seeds` distinct resolved seeds.
    pub many: Strategy,
}

impl AdaptiveRule {
    /// The rule of every model that was not given one: [`Strategy::Sum`] up to 25 distinct
    /// seeds, [`Strategy::Cosine`] with more (chosen on the training playlists of three
    /// generated profiles, `docs/quality.md`).
    pub const BUILT_IN: AdaptiveRule = AdaptiveRule {
        few: Strategy::Sum,
        max_few_seeds: 25,
        many: Strategy::Cosine,
    };

    /// The strategy it picks for `seeds` distinct resolved seeds.
    pub fn pick(&self, seeds: usize) -> Strategy {
        if seeds <= self.max_few_seeds as usize {
            self.few
        } else {
            self.many
        }
    }
}

impl Default for AdaptiveRule {
    fn default() -> Self {
        AdaptiveRule::BUILT_IN
    }
}

impl std::fmt::Display for AdaptiveRule {
    /// `few/max_few_seeds/many`, e.g. `sum/25/cosine`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.few.name(),
            self.max_few_seeds,
            self.many.name()
        )
    }
}

impl std::str::FromStr for AdaptiveRule {
    type Err = String;

    /// Reads what [`Display`](std::fmt::Display) writes, e.g. `sum/25/cosine`: two
    /// strategies other than `adaptive`, and a seed count.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let [few, max_few_seeds, many] = parts[..] else {
            return Err(format!(
                "adaptive rule {s:?}: expected FEW/SEEDS/MANY, e.g. sum/25/cosine"
            ));
        };
        let strategy = |name: &str| match Strategy::from_name(name) {
            Some(Strategy::Adaptive) | None => Err(format!(
                "adaptive rule {s:?}: {name:?} is not a strategy it can pick (one of {})",
                Strategy::ALL
                    .iter()
                    .filter(|&&s| s != Strategy::Adaptive)
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(other) => Ok(other),
        };
        Ok(AdaptiveRule {
            few: strategy(few)?,
            max_few_seeds: max_few_seeds.parse().map_err(|_| {
                format!("adaptive rule {s:?}: {max_few_seeds:?} is not a seed count")
            })?,
            many: strategy(many)?,
        })
    }
}

impl Strategy {
    /// Every strategy, in declaration order.
    pub const ALL: [Strategy; 7] = [
        Strategy::Original,
        Strategy::BestConfidence,
        Strategy::Sum,
        Strategy::NoisyOr,
        Strategy::LiftWeighted,
        Strategy::Cosine,
        Strategy::Adaptive,
    ];

    /// The strategy's name as it appears in JSON (`snake_case`).
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Original => "original",
            Strategy::BestConfidence => "best_confidence",
            Strategy::Sum => "sum",
            Strategy::NoisyOr => "noisy_or",
            Strategy::LiftWeighted => "lift_weighted",
            Strategy::Cosine => "cosine",
            Strategy::Adaptive => "adaptive",
        }
    }

    /// The strategy that scores a request with `seeds` distinct resolved seeds on a model
    /// whose adaptive rule is `rule`: itself, except that [`Strategy::Adaptive`] picks what
    /// `rule` says ([`AdaptiveRule::pick`]).
    pub fn for_seeds(self, seeds: usize, rule: &AdaptiveRule) -> Strategy {
        match self {
            Strategy::Adaptive => rule.pick(seeds),
            other => other,
        }
    }

    /// The strategy named `name` (as [`Strategy::name`] spells it).
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The accumulator before any rule fires.
    fn start(self) -> f64 {
        match self {
            Strategy::NoisyOr => 1.0,
            _ => 0.0,
        }
    }

    /// The accumulator after one more rule fires; the rule's support is `count / playlists`
    /// (computed by the one strategy that uses it).
    fn add(self, acc: f64, confidence: f32, lift: f32, count: u32, playlists: f64) -> f64 {
        let (c, l) = (f64::from(confidence), f64::from(lift));
        match self {
            Strategy::Original | Strategy::BestConfidence => acc.max(c),
            Strategy::Sum => acc + c,
            // The accumulator holds Π(1 - confidence).
            Strategy::NoisyOr => acc * (1.0 - c),
            // Adaptive never reaches here: `recommend` resolves it with `for_seeds` first (and
            // the validator keeps it out of every model's rule).
            Strategy::LiftWeighted | Strategy::Adaptive => acc + (c * l).sqrt(),
            Strategy::Cosine => acc + (l * (f64::from(count) / playlists)).sqrt(),
        }
    }

    /// The score from the final accumulator, rounded once to `f32`.
    fn finish(self, acc: f64) -> f32 {
        match self {
            Strategy::NoisyOr => (1.0 - acc) as f32,
            _ => acc as f32,
        }
    }
}

/// What to ask of [`recommend`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// How many tracks to return (at most; fewer only when the catalog runs out).
    pub k: usize,
    /// How to score candidates.
    pub strategy: Strategy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            k: DEFAULT_K,
            strategy: Strategy::default(),
        }
    }
}

/// Where a recommendation comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An association rule fired for it.
    Rule,
    /// A popular track filling the list when rules gave fewer than k.
    Popular,
}

/// A seed that matched a track.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResolvedSeed<'m> {
    /// The seed as given.
    pub input: String,
    /// The matched track's URI.
    pub uri: &'m str,
    /// Its name.
    pub name: &'m str,
    /// Its artist.
    pub artist: &'m str,
    /// Its id in the model.
    #[serde(skip)]
    pub id: TrackId,
}

/// One recommended track.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommended<'m> {
    /// The track's URI.
    pub uri: &'m str,
    /// Its name.
    pub name: &'m str,
    /// Its artist.
    pub artist: &'m str,
    /// The strategy's score (for popularity picks, 0).
    pub score: f32,
    /// Confidence of the best rule; for popularity picks the track's share of all playlists.
    pub confidence: f32,
    /// Lift of the best rule; 1 for popularity picks.
    pub lift: f32,
    /// Support count of the best rule's itemset; for popularity picks the track's count.
    pub support: u32,
    /// Rule or popularity.
    pub source: Source,
    /// URIs of the seeds in the best rule's antecedent ("because you picked ..."); empty for
    /// popularity picks.
    pub because: Vec<&'m str>,
    /// Its id in the model.
    #[serde(skip)]
    pub id: TrackId,
}

/// The answer to one request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation<'m> {
    /// Seeds that matched a track, in the order given (an input repeated verbatim once).
    pub resolved: Vec<ResolvedSeed<'m>>,
    /// Seeds that matched nothing, in the order given.
    pub unknown: Vec<String>,
    /// The recommendations, best first.
    pub tracks: Vec<Recommended<'m>>,
}

/// The evidence that selected a candidate: the best rule that fired for it.
#[derive(Clone, Copy)]
struct Candidate {
    track: u32,
    /// First (smallest) track of the best rule's antecedent: the seed whose run it was found in.
    first: u32,
    ante: u32,
    confidence: f32,
    lift: f32,
    support: u32,
    /// The strategy's accumulated evidence (see [`Strategy::add`]).
    acc: f64,
    score: f32,
}

/// Rule order within a candidate: higher confidence, then lift, then support; earlier
/// (lexicographically smaller) antecedent on a full tie. `Less` means "better".
fn better_rule(a: &Candidate, b: &Candidate) -> Ordering {
    b.confidence
        .total_cmp(&a.confidence)
        .then(b.lift.total_cmp(&a.lift))
        .then(b.support.cmp(&a.support))
        .then(a.ante.cmp(&b.ante))
}

/// Candidate order: score, then the best rule's lift and support, then track id. `Less` means
/// "ranked higher".
fn rank_order(a: &Candidate, b: &Candidate) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then(b.lift.total_cmp(&a.lift))
        .then(b.support.cmp(&a.support))
        .then(a.track.cmp(&b.track))
}

/// Resolves `seeds` against `model` and ranks the tracks that go with them.
///
/// A seed is a track URI (matched exactly) or a song name (matched after
/// [`crate::normalize_name`]; a name shared by several tracks resolves to the most popular).
/// Every rule whose whole antecedent is among the resolved seeds fires; its consequent is a
/// candidate unless it is a seed, scored by `options.strategy` from every rule that fires for
/// it. When rules give fewer than `k` candidates, the most popular other tracks fill the list.
///
/// Deterministic: the same model and the same arguments give the same answer on every
/// platform.
pub fn recommend<'m, S: AsRef<str>>(
    model: &'m Model,
    seeds: &[S],
    options: &Options,
) -> Recommendation<'m> {
    let (resolved, unknown) = resolve(model, seeds);
    let seeds = Seeds::new(&resolved);
    let strategy = options
        .strategy
        .for_seeds(seeds.0.len(), &model.meta.adaptive);
    let mut found = Candidates::new(strategy);
    fire_rules(model, &seeds, &mut found);
    let mut tracks: Vec<Recommended<'m>> = found
        .best(options.k)
        .iter()
        .map(|c| rule_pick(model, c))
        .collect();
    fill_with_popular(model, &seeds, &found, options.k, &mut tracks);
    Recommendation {
        resolved,
        unknown,
        tracks,
    }
}

/// The resolved seeds' track ids, ascending and distinct.
struct Seeds(Vec<u32>);

impl Seeds {
    fn new(resolved: &[ResolvedSeed<'_>]) -> Seeds {
        let mut ids: Vec<u32> = resolved.iter().map(|s| s.id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        Seeds(ids)
    }

    fn contains(&self, track: u32) -> bool {
        self.0.binary_search(&track).is_ok()
    }
}

/// The candidates found so far, each with its best rule and the strategy's evidence.
struct Candidates {
    strategy: Strategy,
    list: Vec<Candidate>,
    /// Candidate track -> its position in `list`.
    slot: FxHashMap<u32, u32>,
}

impl Candidates {
    fn new(strategy: Strategy) -> Candidates {
        Candidates {
            strategy,
            list: Vec::new(),
            // Sized for a typical request's candidates, so that it rarely grows.
            slot: FxHashMap::with_capacity_and_hasher(64, Default::default()),
        }
    }

    /// Whether a rule fired for `track`.
    fn contains(&self, track: u32) -> bool {
        self.slot.contains_key(&track)
    }

    /// Fires the rules of antecedent `ante`, whose first track is `first`: each one whose
    /// consequent is not a seed adds its evidence to that candidate, and becomes its best rule
    /// if it is better ([`better_rule`]).
    fn fire(&mut self, model: &Model, seeds: &Seeds, first: u32, ante: usize) {
        let strategy = self.strategy;
        let playlists = f64::from(model.meta.playlists.max(1));
        for r in model.rules_of(ante) {
            let rule = model.columns.rules[r];
            let y = rule.consequent;
            if seeds.contains(y) {
                continue;
            }
            let fired = Candidate {
                track: y,
                first,
                ante: ante as u32,
                confidence: rule.confidence,
                lift: rule.lift,
                support: rule.count,
                acc: strategy.start(),
                score: 0.0,
            };
            match self.slot.get(&y) {
                Some(&i) => {
                    let best = &mut self.list[i as usize];
                    let acc =
                        strategy.add(best.acc, rule.confidence, rule.lift, rule.count, playlists);
                    if better_rule(&fired, best) == Ordering::Less {
                        *best = fired;
                    }
                    best.acc = acc;
                }
                None => {
                    self.slot.insert(y, self.list.len() as u32);
                    self.list.push(Candidate {
                        acc: strategy.add(
                            fired.acc,
                            rule.confidence,
                            rule.lift,
                            rule.count,
                            playlists,
                        ),
                        ..fired
                    });
                }
            }
        }
    }

    /// The `k` best candidates with their scores, best first ([`rank_order`]). Candidates
    /// beyond `k` are dropped from the list (but still count for [`Candidates::contains`]).
    fn best(&mut self, k: usize) -> &[Candidate] {
        for c in &mut self.list {
            c.score = self.strategy.finish(c.acc);
        }
        if self.list.len() > k {
            if k > 0 {
                self.list.select_nth_unstable_by(k - 1, rank_order);
            }
            self.list.truncate(k);
        }
        self.list.sort_unstable_by(rank_order);
        &self.list
    }
}

/// Fires every rule whose whole antecedent is among the seeds (for [`Strategy::Original`],
/// single-track antecedents only), in firing order: antecedents lexicographic, each one's
/// rules by consequent.
///
/// An antecedent fires iff all its tracks are seeds. Its first (smallest) track is a seed
/// `s`, so it lies in `s`'s run; within the run, antecedents are sorted by their tails, so
/// the ones whose second track is a later seed `t` form a sub-run found by binary search.
/// The cost follows the rules that fire, not the size of a popular seed's run.
fn fire_rules(model: &Model, seeds: &Seeds, found: &mut Candidates) {
    for (i, &seed) in seeds.0.iter().enumerate() {
        let run = model.antecedents_of(TrackId(seed));
        if run.is_empty() {
            continue;
        }
        // The single-track antecedent {seed}, if any, sorts first in the run.
        if model.tail_of(run.start).is_empty() {
            found.fire(model, seeds, seed, run.start);
        }
        if found.strategy == Strategy::Original {
            continue; // single-track antecedents only
        }
        for &next in &seeds.0[i + 1..] {
            let second = |a: usize| model.tail_of(a).first().copied();
            let lo = lower_bound(run.clone(), |a| second(a) < Some(next));
            let hi = gallop(lo..run.end, |a| second(a) <= Some(next));
            for ante in lo..hi {
                if model.tail_of(ante)[1..].iter().all(|&t| seeds.contains(t)) {
                    found.fire(model, seeds, seed, ante);
                }
            }
        }
    }
}

/// The recommendation of candidate `c`, from its best rule.
fn rule_pick<'m>(model: &'m Model, c: &Candidate) -> Recommended<'m> {
    let (uri, name, artist) = model.shown(TrackId(c.track));
    Recommended {
        uri,
        name,
        artist,
        score: c.score,
        confidence: c.confidence,
        lift: c.lift,
        support: c.support,
        source: Source::Rule,
        // The first track is carried from the search: finding it from the antecedent would be
        // a binary search over every track.
        because: std::iter::once(c.first)
            .chain(model.tail_of(c.ante as usize).iter().copied())
            .map(|t| model.columns.uris.get(t as usize))
            .collect(),
        id: TrackId(c.track),
    }
}

/// Fills `tracks` up to `k` with the most popular tracks that are neither seeds nor
/// candidates. Track ids are popularity ranks, so it walks them in order.
fn fill_with_popular<'m>(
    model: &'m Model,
    seeds: &Seeds,
    found: &Candidates,
    k: usize,
    tracks: &mut Vec<Recommended<'m>>,
) {
    if tracks.len() >= k {
        return;
    }
    let playlists = model.meta.playlists.max(1);
    for id in 0..model.track_count() as u32 {
        if tracks.len() == k {
            break;
        }
        if seeds.contains(id) || found.contains(id) {
            continue;
        }
        let t = model.track(TrackId(id));
        tracks.push(Recommended {
            uri: t.uri,
            name: t.name,
            artist: t.artist,
            score: 0.0,
            confidence: (f64::from(t.count) / f64::from(playlists)) as f32,
            lift: 1.0,
            support: t.count,
            source: Source::Popular,
            because: Vec::new(),
            id: TrackId(id),
        });
    }
}

/// The first index in `range` for which `before` is false (`before` must be true on a prefix).
pub(crate) fn lower_bound(range: std::ops::Range<usize>, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (range.start, range.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Like [`lower_bound`], for a boundary expected near the start of `range`: probes 1, 2, 4, ...
/// entries ahead, then searches the last gap.
fn gallop(range: std::ops::Range<usize>, before: impl Fn(usize) -> bool) -> usize {
    let mut step = 1;
    let mut lo = range.start;
    while lo + step <= range.end && before(lo + step - 1) {
        lo += step;
        step *= 2;
    }
    lower_bound(lo..(lo + step).min(range.end), before)
}

/// Matches each seed to a track; an input repeated verbatim counts once.
fn resolve<'m, S: AsRef<str>>(
    model: &'m Model,
    seeds: &[S],
) -> (Vec<ResolvedSeed<'m>>, Vec<String>) {
    let mut resolved = Vec::new();
    let mut unknown = Vec::new();
    let mut seen: Vec<&str> = Vec::with_capacity(seeds.len());
    for seed in seeds {
        let input = seed.as_ref();
        if seen.contains(&input) {
            continue;
        }
        seen.push(input);
        let id = model
            .track_by_uri(input)
            .or_else(|| {
                let trimmed = input.trim();
                (trimmed.len() != input.len())
                    .then(|| model.track_by_uri(trimmed))
                    .flatten()
            })
            .or_else(|| model.track_by_name(input));
        match id {
            Some(id) => {
                let (uri, name, artist) = model.shown(id);
                resolved.push(ResolvedSeed {
                    input: input.to_owned(),
                    uri,
                    name,
                    artist,
                    id,
                });
            }
            None => unknown.push(input.to_owned()),
        }
    }
    (resolved, unknown)
}

#[cfg(test)]
mod tests {
    use super::{gallop, lower_bound};

    #[test]
    fn searches_find_every_boundary() {
        for start in 0..4 {
            for end in start..40 {
                for boundary in start..=end {
                    let before = |i: usize| i < boundary;
                    assert_eq!(
                        lower_bound(start..end, before),
                        boundary,
                        "{start}..{end} at {boundary}"
                    );
                    assert_eq!(
                        gallop(start..end, before),
                        boundary,
                        "{start}..{end} at {boundary}"
                    );
                }
            }
        }
    }
}
