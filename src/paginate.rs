//! Following every page of a list operation: `all()` and `items()` on its
//! builder, sending one request per page (`page` reads each one).

use std::collections::HashSet;

use futures_core::Stream;

use crate::error::Error;
use crate::operation::{send, Operation};
use crate::page::Page;

/// A list operation: its answer is a [`Page`], and it can be sent again
/// from another page token.
#[cfg_attr(
    not(any(feature = "frontend", feature = "identity", feature = "courier")),
    allow(dead_code, reason = "only these groups have list operations")
)]
pub(crate) trait Paginated: Operation<Output = Page<Self::Item>> + Clone {
    /// What the list holds.
    type Item;

    /// Starts the next request at `token`.
    fn set_page_token(&mut self, token: String);
}

/// Sends `operation` and then every following page, gathering the items.
/// Stops at the last page, or when a token comes back a second time (a
/// server going round in circles).
#[cfg_attr(
    not(any(feature = "frontend", feature = "identity", feature = "courier")),
    allow(dead_code, reason = "only these groups have list operations")
)]
pub(crate) async fn all<O: Paginated>(mut operation: O) -> Result<Vec<O::Item>, Error<O::Error>> {
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    loop {
        let (page, next) = send(&operation).await?.into_inner().into_parts();
        items.extend(page);
        match next {
            Some(token) if seen.insert(token.clone()) => operation.set_page_token(token),
            _ => return Ok(items),
        }
    }
}

/// The items of `operation`'s pages as a stream, fetching a page when the
/// one before is used up. An error ends the stream after it is yielded.
#[cfg_attr(
    not(any(feature = "frontend", feature = "identity", feature = "courier")),
    allow(dead_code, reason = "only these groups have list operations")
)]
pub(crate) fn items<O>(operation: O) -> impl Stream<Item = Result<O::Item, Error<O::Error>>>
where
    O: Paginated,
{
    struct State<O: Paginated> {
        next: Option<O>,
        buffered: std::vec::IntoIter<O::Item>,
        seen: HashSet<String>,
    }
    let start = State {
        next: Some(operation),
        buffered: Vec::new().into_iter(),
        seen: HashSet::new(),
    };
    futures_util::stream::unfold(start, |mut state| async move {
        loop {
            if let Some(item) = state.buffered.next() {
                return Some((Ok(item), state));
            }
            let mut operation = state.next.take()?;
            match send(&operation).await {
                Err(error) => return Some((Err(error), state)),
                Ok(response) => {
                    let (page, next) = response.into_inner().into_parts();
                    if let Some(token) = next {
                        if state.seen.insert(token.clone()) {
                            operation.set_page_token(token);
                            state.next = Some(operation);
                        }
                    }
                    state.buffered = page.into_iter();
                }
            }
        }
    })
}

/// Writes `all()` and `items()` on a list operation's builder.
#[allow(unused_macros)]
macro_rules! impl_paginated {
    ($builder:ident, $item:ty, $error:ident) => {
        impl $builder {
            /// Sends the request, then one for every following page, and
            /// returns all their items. Stops at the last page, or when the
            /// server sends a page token a second time.
            pub async fn all(self) -> Result<Vec<$item>, crate::Error<$error>> {
                crate::paginate::all(self).await
            }

            /// The items of every page as a stream, fetching the next page
            /// only when the items of the one before are used up. An error
            /// is the stream's last item.
            pub fn items(
                self,
            ) -> impl futures_core::Stream<Item = Result<$item, crate::Error<$error>>> + Send {
                crate::paginate::items(self)
            }
        }

        impl crate::paginate::Paginated for $builder {
            type Item = $item;

            fn set_page_token(&mut self, token: String) {
                self.page_token = Some(token);
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use impl_paginated;
