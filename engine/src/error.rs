//! Errors of the engine: what is wrong with a blob, a model or a builder's input.

/// A model whose content breaks an invariant of the format. Found by the decoder (in a blob)
/// and by the builder (before it would ever write such a blob).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidModel {
    /// Two columns that must be equally long are not.
    #[error("column `{column}` has {found} entries, expected {expected}")]
    LengthMismatch {
        /// The column that is off.
        column: &'static str,
        /// The length it should have.
        expected: u64,
        /// The length it has.
        found: u64,
    },
    /// An id or offset points past the end of what it indexes.
    #[error("`{column}[{index}]` = {value} is out of range (must be below {limit})")]
    OutOfRange {
        /// The column holding the id.
        column: &'static str,
        /// Position in that column.
        index: usize,
        /// The offending value.
        value: u64,
        /// The first value that is out of range.
        limit: u64,
    },
    /// The lengths of a string pool do not cut its text at character boundaries or do not add
    /// up to its size.
    #[error("string pool `{pool}` is malformed: {detail}")]
    BadStringPool {
        /// Which pool.
        pool: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A sorted column (a pool of interned strings, an index) is out of order or has duplicates.
    #[error("`{column}` is not strictly ascending at entry {index}{detail}")]
    NotSorted {
        /// Which column.
        column: &'static str,
        /// The first entry out of order.
        index: usize,
        /// More context, may be empty.
        detail: String,
    },
    /// Two tracks share a URI.
    #[error("duplicate track URI {uri:?}")]
    DuplicateUri {
        /// The URI.
        uri: String,
    },
    /// The tracks of an antecedent are not ascending and distinct.
    #[error("antecedent {index}: its tracks are not sorted ascending and distinct")]
    UnsortedAntecedent {
        /// Position of the antecedent.
        index: usize,
    },
    /// An antecedent equals or sorts before the one before it.
    #[error("antecedent {index} duplicates or sorts before antecedent {}", index - 1)]
    DuplicateAntecedent {
        /// Position of the antecedent.
        index: usize,
    },
    /// An antecedent has no rule.
    #[error("antecedent {index} has no rule")]
    EmptyAntecedentGroup {
        /// Position of the antecedent.
        index: usize,
    },
    /// A rule's consequent is one of its antecedent's tracks.
    #[error("rule {index}: its consequent is part of its antecedent")]
    ConsequentInAntecedent {
        /// Position of the rule.
        index: usize,
    },
    /// A score is NaN.
    #[error("`{column}[{index}]` is NaN")]
    NotANumber {
        /// Which score column.
        column: &'static str,
        /// Position of the rule.
        index: usize,
    },
    /// The adaptive rule in the metadata names a strategy that does not exist, or
    /// `adaptive` itself (a rule must pick one of the other strategies), or a format 1 model
    /// carries a rule other than the built-in one.
    #[error("metadata `adaptive.{field}` = {found:?}: {why}")]
    BadAdaptiveRule {
        /// `few`, `many` or `max_few_seeds`.
        field: &'static str,
        /// What the metadata holds there.
        found: String,
        /// What it must be.
        why: &'static str,
    },
    /// Numbers that must agree do not (counts, scores, parameters).
    #[error("{0}")]
    Inconsistent(String),
}

/// Why a blob could not be decoded. Decoding never panics and never allocates more than a
/// small multiple of the blob's size.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The blob does not start with Segue's magic bytes: it is not a Segue model.
    #[error("not a Segue model: wrong magic bytes {found:02x?}")]
    BadMagic {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// The blob was written in a format version this engine does not read.
    #[error("unsupported format version {found} (this engine reads versions 1 to {supported})")]
    UnsupportedVersion {
        /// Version in the header.
        found: u32,
        /// The newest version this engine reads (it reads every version from 1 on).
        supported: u32,
    },
    /// The blob ends before its header or payload does.
    #[error("truncated: {what} needs {needed} bytes, only {available} present")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// Bytes follow the end of the payload.
    #[error("{extra} trailing bytes after the {what}")]
    TrailingBytes {
        /// What they follow.
        what: &'static str,
        /// How many.
        extra: u64,
    },
    /// The payload's checksum does not match the header: the blob is corrupt.
    #[error("checksum mismatch: header says {expected:016x}, payload hashes to {actual:016x}")]
    ChecksumMismatch {
        /// Checksum in the header.
        expected: u64,
        /// Checksum of the payload.
        actual: u64,
    },
    /// The payload is not a valid encoding of a model.
    #[error("malformed payload in {section}: {message}")]
    Malformed {
        /// Part of the payload being decoded.
        section: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The payload decodes but breaks an invariant of the model.
    #[error("invalid model: {0}")]
    Invalid(#[from] InvalidModel),
}

/// Why [`crate::ModelBuilder::build`] refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A rule refers to a track that was never added.
    #[error("rule {rule}: track index {track} was never added (there are {tracks} tracks)")]
    UnknownTrack {
        /// Position of the rule in insertion order.
        rule: usize,
        /// The index it refers to.
        track: u32,
        /// Number of tracks added.
        tracks: usize,
    },
    /// A rule has no antecedent.
    #[error("rule {rule}: empty antecedent")]
    EmptyAntecedent {
        /// Position of the rule in insertion order.
        rule: usize,
    },
    /// A track appears twice in a rule's antecedent.
    #[error("rule {rule}: track index {track} appears twice in the antecedent")]
    RepeatedTrack {
        /// Position of the rule in insertion order.
        rule: usize,
        /// The repeated track index.
        track: u32,
    },
    /// Two rules have the same antecedent and consequent.
    #[error("two rules with the same antecedent and consequent (rules {first} and {second})")]
    DuplicateRule {
        /// Position of one rule in insertion order.
        first: usize,
        /// Position of the other.
        second: usize,
    },
    /// Rules with the same antecedent disagree on its count.
    #[error("rules {first} and {second} give their common antecedent different counts")]
    AntecedentCountMismatch {
        /// Position of one rule in insertion order.
        first: usize,
        /// Position of the other.
        second: usize,
    },
    /// A parameter is out of its domain.
    #[error("parameter `{name}` = {value} is invalid: {why}")]
    BadParameter {
        /// The parameter.
        name: &'static str,
        /// Its value, printed.
        value: String,
        /// The rule it breaks.
        why: &'static str,
    },
    /// The assembled model breaks an invariant.
    #[error("invalid model: {0}")]
    Invalid(#[from] InvalidModel),
}
