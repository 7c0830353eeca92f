//! Segue's test support, one home for every crate's tests, benchmarks and examples: the
//! generated models of any size with MPD-like shape ([`generated`]) and the hand-made fixture
//! whose every rule can be checked by hand ([`fixture`]), and real object-storage endpoints
//! ([`object::Endpoint`]): S3 ([`s3`], moto) and Azure Blob ([`azure`], Azurite).
//!
//! Dev-only (`publish = false`); it depends on `engine`, and `engine` has it as a
//! dev-dependency, which cargo allows for integration tests, benchmarks and examples (they
//! link the same `engine` library that this crate does).
//!
//! ```
//! use testkit::{Shape, generate};
//! let model = generate(&Shape { tracks: 50, rules: 40, hot: 20, ..Shape::SMALL });
//! assert_eq!(model.track_count(), 50);
//! ```

pub mod azure;
pub mod fixture;
pub mod generated;
pub mod object;
mod relay;
pub mod s3;

pub use generated::{Shape, cubed, generate, generate_with_rule, random_sets, rng, seed_lists};
