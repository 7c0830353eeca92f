//! The page's components, one job each; the state they show or change comes in as props.

// `#[component]` expands to `pub` props structs, which a binary cannot export.
#![allow(unreachable_pub)]

mod answer_list;
mod chips;
mod controls;
mod model_card;
mod model_view;
mod results;
mod sample_list;
mod search_box;
mod seed_picker;
mod verdict_line;

pub(crate) use model_card::ModelCard;
pub(crate) use model_view::ModelView;
pub(crate) use results::Results;
pub(crate) use seed_picker::SeedPicker;
