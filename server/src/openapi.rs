//! The OpenAPI document: derived from the handlers and the `api` crate's types, then given
//! the bounds the server enforces, from the same configured [`Limits`] the handlers check.

use api::{Limits, MAX_TRACKS};
use utoipa::OpenApi as _;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayItems, Object, ObjectBuilder, OneOfBuilder, Schema,
};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, Response};

use crate::routes::{model, ops, recommend, tracks};

/// The handlers and schemas, before the configured bounds are applied.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Segue",
        description = "Playlist continuation: give a few songs, get the songs that most often go with them in real playlists, each with the rule that explains it."
    ),
    paths(
        recommend::recommend,
        model::model,
        model::model_blob,
        tracks::tracks,
        ops::healthz,
        ops::readyz,
        ops::metrics
    ),
    tags(
        (name = "recommend", description = "Recommendations"),
        (name = "model", description = "The model being served"),
        (name = "tracks", description = "The catalog, for pickers"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

/// The OpenAPI document of a server that enforces `limits`.
pub fn document(limits: &Limits) -> OpenApi {
    let mut doc = ApiDoc::openapi();
    if let Some(components) = doc.components.as_mut() {
        if let Some(RefOr::T(Schema::Object(request))) =
            components.schemas.get_mut("RecommendRequest")
        {
            recommend_request(request, limits);
        }
        if let Some(RefOr::T(Schema::Object(list))) = components.schemas.get_mut("TrackList")
            && let Some(RefOr::T(Schema::Object(seed))) = list.properties.get_mut("seed")
        {
            unsigned_64(seed);
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
            match path.as_str() {
                api::paths::TRACKS => tracks_forms(operation),
                api::paths::RECOMMEND => recommend_body(operation, limits),
                api::paths::MODEL_BLOB => binary_blob(operation),
                _ => {}
            }
            head_limit(operation, limits);
        }
    }
    doc
}

/// `songs` and `k` within the limits.
fn recommend_request(request: &mut Object, limits: &Limits) {
    if let Some(RefOr::T(Schema::Array(songs))) = request.properties.get_mut("songs") {
        songs.min_items = Some(1);
        songs.max_items = Some(limits.max_songs);
        if let ArrayItems::RefOrSchema(item) = &mut songs.items
            && let RefOr::T(Schema::Object(song)) = item.as_mut()
        {
            song.min_length = None;
            song.max_length = Some(limits.max_song_chars);
            song.description = Some(
                "A song name or a track URI, at most `maxLength` characters (code points).".into(),
            );
        }
    }
    if let Some(RefOr::T(Schema::Object(k))) = request.properties.get_mut("k") {
        k.minimum = Some(1.into());
        k.maximum = Some(limits.max_k.into());
        k.default = Some(limits.default_k().into());
    }
}

/// What the request body may weigh, which no schema keyword can say.
fn recommend_body(operation: &mut Operation, limits: &Limits) {
    if let Some(body) = operation.request_body.as_mut() {
        body.description = Some(format!(
            "At most {} bytes of JSON (413 `body_too_large` beyond).",
            limits.max_body_bytes
        ));
    }
    if let Some(RefOr::T(response)) = operation.responses.responses.get_mut("413") {
        response.description = format!("Body over {} bytes", limits.max_body_bytes);
    }
}

/// `/api/tracks` takes one of two forms, `sample` (+ `seed`) or `q` (+ `limit`), and nothing
/// else: one object parameter, exploded into the query string, whose schema is `oneOf` the
/// two. The properties keep the schemas and descriptions derived from `api::TracksQuery`.
fn tracks_forms(operation: &mut Operation) {
    let derived = operation.parameters.take().unwrap_or_default();
    let property = |name: &str| {
        let parameter = derived
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("TracksQuery has `{name}`"));
        let mut schema = match &parameter.schema {
            Some(RefOr::T(Schema::Object(schema))) => schema.clone(),
            _ => panic!("`{name}` has an inline schema"),
        };
        schema.description.clone_from(&parameter.description);
        match name {
            "sample" | "limit" => {
                schema.minimum = Some(1.into());
                schema.maximum = Some(MAX_TRACKS.into());
            }
            "seed" => unsigned_64(&mut schema),
            _ => {}
        }
        schema
    };
    let form = |title: &str, required: &str, optional: &str| {
        ObjectBuilder::new()
            .title(Some(title))
            .property(required, property(required))
            .required(required)
            .property(optional, property(optional))
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .build()
    };
    let mut query = Parameter::new("query");
    query.parameter_in = ParameterIn::Query;
    query.required = Required::True;
    query.style = Some(ParameterStyle::Form);
    query.explode = Some(true);
    query.description = Some(
        "Either `sample` (with `seed`) or `q` (with `limit`); each property is its own query \
         parameter (`?sample=5&seed=7`, `?q=heart&limit=20`)."
            .into(),
    );
    query.schema = Some(
        OneOfBuilder::new()
            .item(form("sample", "sample", "seed"))
            .item(form("search", "q", "limit"))
            .into(),
    );
    operation.parameters = Some(vec![query]);
    operation.description = Some(
        "Two forms: `sample=N[&seed=S]` (N popular tracks) and `q=TEXT[&limit=N]` (a search). \
         Anything else, a parameter given twice, or one of another form, is answered 400 \
         `invalid_query`."
            .into(),
    );
}

/// A `u64`: utoipa states `int64`, whose range stops at 2^63 - 1.
fn unsigned_64(schema: &mut Object) {
    schema.format = None;
    schema.minimum = Some(0.into());
    schema.maximum = Some(u64::MAX.into());
}

/// The blob is bytes: `application/octet-stream` without a JSON schema (an array of integers
/// is what utoipa makes of `Vec<u8>`).
fn binary_blob(operation: &mut Operation) {
    if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200")
        && let Some(content) = ok.content.get_mut("application/octet-stream")
    {
        *content = Content::default();
    }
}

/// Every operation can be refused for its request head.
fn head_limit(operation: &mut Operation, limits: &Limits) {
    let mut response = Response::new(format!(
        "Request line and headers over {} bytes (beyond twice that, the answer has no body \
         and the connection closes)",
        limits.max_header_bytes
    ));
    response.content.insert(
        "application/json".into(),
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    );
    operation
        .responses
        .responses
        .insert("431".into(), RefOr::T(response));
}
