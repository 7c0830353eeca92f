//! The answer of the health and readiness probes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Health of the process and of the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Status<'a> {
    /// `ok` (alive) or `ready` (serving a model).
    pub status: Cow<'a, str>,
    /// The model being served, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Cow<'a, str>>,
}
