//! The importer: batches, in flight, outcomes, and what it does when a
//! batch's answer is refused, delayed or lost.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_core::Stream;
use futures_util::StreamExt;
use serde_json::Value;

use crate::models::{
    CreateIdentityBody, IdentityPatch, IdentityPatchResponse, PatchIdentitiesBody,
};
use crate::{Error, IdentityApi, OperationError, RetryPolicy};

/// Kratos's limits on one `batchPatchIdentities` call.
const KRATOS_BATCH_LIMIT: usize = 1000;
const KRATOS_CLEARTEXT_LIMIT: usize = 200;

/// What became of one input item.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ImportOutcome {
    /// Kratos created it, with this id.
    Created {
        /// The new identity's id.
        id: String,
    },
    /// Its identifier or external id is taken (Kratos's 409): an identity
    /// with it is already there, from before or from an earlier run.
    AlreadyThere,
    /// Its batch's answer was lost (a timeout, a broken connection, a 5xx)
    /// and, sent again, it clashed with an identity in Kratos: created by
    /// the lost batch, or there before it. Nothing was created twice.
    Present,
    /// Kratos refused it: its schema refuses its traits (400), or it could
    /// not be read.
    Refused {
        /// The status Kratos gave it.
        status: u16,
        /// Kratos's error id, when it gave one.
        error_id: Option<String>,
        /// Kratos's reason (or message).
        reason: String,
    },
    /// It could not be imported, and nothing is known to have been stored:
    /// Kratos stayed unreachable through the retries, or its batch's
    /// outcome is unknown and it has nothing to be looked up by.
    Failed {
        /// What went wrong, last.
        reason: String,
    },
}

impl ImportOutcome {
    /// Whether the identity is in Kratos now: created, already there, or
    /// present.
    pub fn is_in_kratos(&self) -> bool {
        matches!(
            self,
            ImportOutcome::Created { .. } | ImportOutcome::AlreadyThere | ImportOutcome::Present
        )
    }
}

/// One input item's outcome; `index` counts the input from 0.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Imported {
    /// The item's place in the input, from 0.
    pub index: u64,
    /// What became of it.
    pub outcome: ImportOutcome,
}

/// Counts of the outcomes seen so far, and the rate: for a progress bar or
/// a log line.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportProgress {
    /// Items with an outcome.
    pub done: u64,
    /// [`ImportOutcome::Created`].
    pub created: u64,
    /// [`ImportOutcome::AlreadyThere`].
    pub already_there: u64,
    /// [`ImportOutcome::Present`].
    pub present: u64,
    /// [`ImportOutcome::Refused`].
    pub refused: u64,
    /// [`ImportOutcome::Failed`].
    pub failed: u64,
    started: Instant,
}

impl Default for ImportProgress {
    fn default() -> Self {
        ImportProgress::new()
    }
}

impl ImportProgress {
    /// Nothing done yet; the clock starts now.
    pub fn new() -> Self {
        ImportProgress {
            done: 0,
            created: 0,
            already_there: 0,
            present: 0,
            refused: 0,
            failed: 0,
            started: Instant::now(),
        }
    }

    /// Counts `outcome`.
    pub fn add(&mut self, outcome: &ImportOutcome) {
        self.done += 1;
        let count = match outcome {
            ImportOutcome::Created { .. } => &mut self.created,
            ImportOutcome::AlreadyThere => &mut self.already_there,
            ImportOutcome::Present => &mut self.present,
            ImportOutcome::Refused { .. } => &mut self.refused,
            ImportOutcome::Failed { .. } => &mut self.failed,
        };
        *count += 1;
    }

    /// Items not in Kratos: refused or failed.
    pub fn failures(&self) -> u64 {
        self.refused + self.failed
    }

    /// Time since [`new`](Self::new).
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Items done per second since [`new`](Self::new).
    pub fn per_second(&self) -> f64 {
        let seconds = self.elapsed().as_secs_f64();
        if seconds > 0.0 {
            self.done as f64 / seconds
        } else {
            0.0
        }
    }
}

/// Imports a stream of identities through `batchPatchIdentities`; see the
/// [module](crate::bulk) for what it reports and how it recovers.
#[derive(Debug, Clone)]
pub struct Importer {
    api: IdentityApi,
    batch_size: usize,
    in_flight: usize,
    retry: RetryPolicy,
}

impl Importer {
    /// Batches of 1,000 (Kratos's limit; at most 200 with a cleartext
    /// password, Kratos's other limit), 4 in flight, up to 6 attempts per
    /// batch.
    pub fn new(api: IdentityApi) -> Self {
        Importer {
            api,
            batch_size: KRATOS_BATCH_LIMIT,
            in_flight: 4,
            retry: RetryPolicy::new(6),
        }
    }

    /// Identities per request, 1 to 1,000 (clamped).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.clamp(1, KRATOS_BATCH_LIMIT);
        self
    }

    /// Requests in flight at once, at least 1. Default 4. Kratos checks
    /// a batch's identities one after another, so each batch in flight
    /// keeps about one of its cores busy: against a Kratos with more cores
    /// (or several replicas), as many batches as it has cores.
    pub fn in_flight(mut self, requests: usize) -> Self {
        self.in_flight = requests.max(1);
        self
    }

    /// How often and how long a batch is tried again after 429, 503, or a
    /// lost answer.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Imports `input`: one [`Imported`] per item, in input order, as the
    /// batches come back. Holds at most `in_flight` batches (and the one
    /// being filled).
    pub fn import<S>(self, input: S) -> impl Stream<Item = Imported> + Send + 'static
    where
        S: Stream<Item = CreateIdentityBody> + Send + 'static,
    {
        let context = Arc::new(Context {
            api: self.api,
            retry: self.retry,
            schemas: Mutex::new(HashMap::new()),
        });
        batches(Box::pin(input), self.batch_size)
            .map(move |(first, batch)| run_batch(context.clone(), first, batch))
            .buffered(self.in_flight)
            .flat_map(futures_util::stream::iter)
    }
}

/// The input cut into batches of at most `size`, and at most 200 with a
/// cleartext password each; each with the index of its first item.
fn batches<S>(
    input: Pin<Box<S>>,
    size: usize,
) -> impl Stream<Item = (u64, Vec<CreateIdentityBody>)> + Send
where
    S: Stream<Item = CreateIdentityBody> + Send + ?Sized,
{
    let start = (input, None::<CreateIdentityBody>, 0u64);
    futures_util::stream::unfold(start, move |(mut input, mut carried, next)| async move {
        let mut batch = Vec::new();
        let mut cleartext = 0;
        loop {
            if batch.len() == size {
                break;
            }
            let item = match carried.take() {
                Some(item) => item,
                None => match input.next().await {
                    Some(item) => item,
                    None => break,
                },
            };
            if has_cleartext(&item) {
                if cleartext == KRATOS_CLEARTEXT_LIMIT {
                    carried = Some(item);
                    break;
                }
                cleartext += 1;
            }
            batch.push(item);
        }
        if batch.is_empty() {
            return None;
        }
        let count = batch.len() as u64;
        Some(((next, batch), (input, carried, next + count)))
    })
}

fn has_cleartext(item: &CreateIdentityBody) -> bool {
    item.credentials
        .as_ref()
        .and_then(|c| c.password.as_ref())
        .and_then(|p| p.config.as_ref())
        .and_then(|c| c.password.as_deref())
        .is_some_and(|p| !p.is_empty())
}

/// What the batches share.
struct Context {
    api: IdentityApi,
    retry: RetryPolicy,
    /// The trait paths each identity schema marks as an identifier, by
    /// schema id, fetched when first needed.
    schemas: Mutex<HashMap<String, Vec<Vec<String>>>>,
}

/// One batch, to the end: every item's outcome, in order.
async fn run_batch(
    context: Arc<Context>,
    first: u64,
    batch: Vec<CreateIdentityBody>,
) -> Vec<Imported> {
    let mut outcomes: Vec<Option<ImportOutcome>> = vec![None; batch.len()];
    // The items without an outcome yet, by their place in the batch.
    let mut pending: Vec<usize> = (0..batch.len()).collect();
    // Whether an earlier send of the pending items may have been stored.
    let mut maybe_stored = false;
    // Whether the pending items were checked for a key that makes sending
    // them again safe.
    let mut keyed = false;
    let mut last_error = String::new();
    let mut attempt = 1;
    loop {
        let mut retry_after = None;
        if maybe_stored && !keyed {
            // Sent again, an identity Kratos stored is refused as a clash,
            // by its identifier or external id; one with neither would be
            // created a second time: it fails instead.
            match unkeyed(&context, &batch, &pending).await {
                Ok(unkeyed) => {
                    for &at in &unkeyed {
                        outcomes[at] = Some(ImportOutcome::Failed {
                            reason: format!(
                                "its batch's outcome is unknown ({last_error}), and with no identifier and no external id it cannot be sent again safely"
                            ),
                        });
                    }
                    pending.retain(|at| !unkeyed.contains(at));
                    keyed = true;
                }
                Err(error) => last_error = error,
            }
        }
        if pending.is_empty() {
            break;
        }
        if !maybe_stored || keyed {
            let patches: Vec<IdentityPatch> = pending
                .iter()
                .map(|&at| IdentityPatch::new().create(batch[at].clone()))
                .collect();
            let sent = context
                .api
                .batch_patch_identities(PatchIdentitiesBody::new().identities(patches))
                .send()
                .await;
            match sent {
                Ok(answer) => {
                    let mut entries = answer.identities.unwrap_or_default().into_iter();
                    for &at in &pending {
                        outcomes[at] = Some(entry_outcome(entries.next().flatten(), maybe_stored));
                    }
                    pending.clear();
                    break;
                }
                // Kratos refused the batch as a whole (400, or 409 for a
                // lone identity that clashes): each on its own.
                Err(Error::Api(error)) if matches!(error.status().as_u16(), 400 | 409) => {
                    for &at in &pending {
                        outcomes[at] = Some(one_by_one(&context, &batch[at], maybe_stored).await);
                    }
                    pending.clear();
                    break;
                }
                Err(error) => {
                    last_error = error.to_string();
                    // 429 and 503: nothing was stored; anything else (a
                    // timeout, a broken connection, another 5xx, an
                    // answer that does not decode) may have been.
                    match &error {
                        Error::RetryLater {
                            retry_after: asked, ..
                        } => retry_after = *asked,
                        _ => maybe_stored = true,
                    }
                }
            }
        }
        attempt += 1;
        match context.retry.wait_before(attempt, retry_after) {
            Some(wait) => tokio::time::sleep(wait).await,
            None if retry_after.is_some() && attempt <= context.retry.max_attempts => {
                tokio::time::sleep(context.retry.max_backoff).await
            }
            None => break,
        }
    }
    let reason = match maybe_stored {
        true => format!(
            "its batch's outcome is unknown, and Kratos could not be asked again: {last_error}"
        ),
        false => last_error,
    };
    outcomes
        .into_iter()
        .enumerate()
        .map(|(at, outcome)| Imported {
            index: first + at as u64,
            outcome: outcome.unwrap_or_else(|| ImportOutcome::Failed {
                reason: reason.clone(),
            }),
        })
        .collect()
}

/// The outcome an entry of Kratos's answer gives; a clash is `Present`
/// when an earlier send may have stored the identity.
fn entry_outcome(entry: Option<IdentityPatchResponse>, maybe_stored: bool) -> ImportOutcome {
    let Some(entry) = entry else {
        return ImportOutcome::Failed {
            reason: "Kratos's answer has no entry for it".into(),
        };
    };
    if let Some(id) = entry.identity {
        return ImportOutcome::Created { id };
    }
    let error = entry.error.unwrap_or(Value::Null);
    refused_by(&error, maybe_stored)
}

/// The outcome an error object of Kratos's gives: a clash (409) is already
/// there, or present after a lost answer.
fn refused_by(error: &Value, maybe_stored: bool) -> ImportOutcome {
    let status = error["code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(0);
    match (status, maybe_stored) {
        (409, true) => return ImportOutcome::Present,
        (409, false) => return ImportOutcome::AlreadyThere,
        _ => {}
    }
    let text = |key: &str| {
        error[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    ImportOutcome::Refused {
        status,
        error_id: text("id"),
        reason: text("reason")
            .or_else(|| text("message"))
            .unwrap_or_default(),
    }
}

/// One identity sent alone (`createIdentity`), for a batch Kratos refused
/// as a whole.
async fn one_by_one(
    context: &Context,
    item: &CreateIdentityBody,
    maybe_stored: bool,
) -> ImportOutcome {
    let mut attempt = 1;
    loop {
        match context.api.create_identity(item.clone()).send().await {
            Ok(identity) => return ImportOutcome::Created { id: identity.id },
            Err(Error::Api(error)) => {
                let error = Error::Api(error);
                let generic = error.generic_error().cloned();
                let status = error.status().map_or(0, |s| s.as_u16());
                let mut object = serde_json::Map::new();
                object.insert("code".into(), status.into());
                if let Some(generic) = generic {
                    object.insert("id".into(), generic.id.unwrap_or_default().into());
                    object.insert("reason".into(), generic.reason.unwrap_or_default().into());
                    object.insert("message".into(), generic.message.into());
                }
                return refused_by(&Value::Object(object), maybe_stored);
            }
            Err(error) => {
                attempt += 1;
                // Only "later" is safe to send again here; a lost answer
                // leaves this one unknown.
                match context.retry.wait_before(attempt, error.retry_after()) {
                    Some(wait) if matches!(error, Error::RetryLater { .. }) => {
                        tokio::time::sleep(wait).await
                    }
                    _ => {
                        return ImportOutcome::Failed {
                            reason: format!("sent on its own after its batch was refused: {error}"),
                        }
                    }
                }
            }
        }
    }
}

/// Of `pending`, the items with nothing that makes Kratos refuse a second
/// copy: no external id, and no value at an identifier of their schema.
/// `Err` when a schema could not be read.
async fn unkeyed(
    context: &Context,
    batch: &[CreateIdentityBody],
    pending: &[usize],
) -> Result<Vec<usize>, String> {
    let mut unkeyed = Vec::new();
    for &at in pending {
        let item = &batch[at];
        if item.external_id.as_deref().is_some_and(|e| !e.is_empty()) {
            continue;
        }
        let paths = identifier_paths(context, &item.schema_id).await?;
        let has_identifier = paths.iter().any(|path| {
            let mut at = path.first().and_then(|first| item.traits.get(first));
            for key in path.iter().skip(1) {
                at = at.and_then(|v| v.get(key));
            }
            at.and_then(Value::as_str).is_some_and(|v| !v.is_empty())
        });
        if !has_identifier {
            unkeyed.push(at);
        }
    }
    Ok(unkeyed)
}

/// The trait paths that `schema_id`'s schema marks as a credential's
/// identifier (`ory.sh/kratos.credentials.<method>.identifier: true`).
async fn identifier_paths(context: &Context, schema_id: &str) -> Result<Vec<Vec<String>>, String> {
    let schema_id = if schema_id.is_empty() {
        "default"
    } else {
        schema_id
    };
    if let Some(paths) = context
        .schemas
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(schema_id)
    {
        return Ok(paths.clone());
    }
    let schema = context
        .api
        .get_identity_schema(schema_id)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let mut paths = Vec::new();
    collect_identifiers(
        &Value::Object(schema)["properties"]["traits"],
        &mut Vec::new(),
        &mut paths,
    );
    context
        .schemas
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(schema_id.to_string(), paths.clone());
    Ok(paths)
}

fn collect_identifiers(node: &Value, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    let marks = node["ory.sh/kratos"]["credentials"].as_object();
    if marks.is_some_and(|m| m.values().any(|c| c["identifier"] == Value::Bool(true))) {
        found.push(path.clone());
    }
    if let Some(properties) = node["properties"].as_object() {
        for (name, child) in properties {
            path.push(name.clone());
            collect_identifiers(child, path, found);
            path.pop();
        }
    }
}
