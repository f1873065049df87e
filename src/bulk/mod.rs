//! Moving many identities into Kratos and out again (feature `identity`):
//! [`Importer`] sends a stream of identities through `batchPatchIdentities`
//! (up to 1,000 a request, several requests in flight) and gives one
//! [`Imported`] per input item, in input order; [`export`] streams every
//! identity, page by page, as the [`CreateIdentityBody`] that imports it
//! again (its password hash included when asked for). Memory is bounded by
//! the batches in flight, never by the input's length. Built from the
//! crate's own OpenAPI document (not with `KRATOS_OPENAPI_SPEC`, whose
//! upstream documents leave `createIdentity`'s body optional).
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use kratos_client::bulk::{ImportOutcome, ImportProgress, Importer};
//! use kratos_client::models::CreateIdentityBody;
//!
//! # async fn run(admin: kratos_client::IdentityApi, people: Vec<CreateIdentityBody>) {
//! let mut progress = ImportProgress::new();
//! let outcomes = Importer::new(admin).in_flight(4).import(futures_util::stream::iter(people));
//! futures_util::pin_mut!(outcomes);
//! while let Some(item) = outcomes.next().await {
//!     progress.add(&item.outcome);
//!     if let ImportOutcome::Refused { reason, .. } = &item.outcome {
//!         eprintln!("item {}: {reason}", item.index);
//!     }
//! }
//! println!("{} created, {:.0}/s", progress.created, progress.per_second());
//! # }
//! ```
//!
//! What Kratos v26.2.0 does with a batch, and so what the importer reports
//! (each checked on a real Kratos, journey `admin::a_batch_refuses_...`):
//! every identity of a batch is checked against its schema and stored in
//! one transaction; one its schema refuses is [`ImportOutcome::Refused`]
//! (400), one whose identifier or external id is taken
//! [`ImportOutcome::AlreadyThere`] (409), the others
//! [`ImportOutcome::Created`]. (The same identifier twice in the input:
//! with several batches in flight, which of the two is created is the
//! order in which their batches commit.) When Kratos refuses a whole batch (an
//! identity it cannot read: an unknown hash format or state; a lone
//! identity that clashes), the importer sends that batch's identities one
//! by one to give each its own outcome.
//!
//! Failures on the way: 429 and 503 mean nothing was stored, and the batch
//! is sent again after `Retry-After` or the [`RetryPolicy`]'s backoff. A
//! timeout, a broken connection or another 5xx leaves the batch's outcome
//! unknown (Kratos may have stored it before the answer was lost): the
//! batch is sent again, and since Kratos refuses a second identity with
//! the same identifier or external id, an identity the lost batch stored
//! comes back as a clash, reported as [`ImportOutcome::Present`]. An
//! identity with neither (no external id, no value at an identifier its
//! schema declares) would be created twice: it is
//! [`ImportOutcome::Failed`] instead. Nothing is looked up one by one
//! (a lookup by identifier took 250 ms on Kratos v26.2.0 with SQLite).

mod export;
mod import;

pub use export::export;
pub use import::{ImportOutcome, ImportProgress, Imported, Importer};

#[allow(unused_imports)]
use crate::models::CreateIdentityBody;
#[allow(unused_imports)]
use crate::RetryPolicy;
