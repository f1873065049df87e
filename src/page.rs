//! One page of a list and its next-page token, read from the `Link`
//! header. Following every page is `paginate`'s, a floor above the
//! operations that send the requests.

use reqwest::header::{HeaderMap, LINK};

/// One page of a list, as every list operation's `send()` returns it.
///
/// Kratos gives the token of the next page only in the `Link` header of the
/// answer (`rel="next"`); [`next_page_token`](Self::next_page_token) reads
/// it from there, percent-decoded. To get every item, call `all()` on the
/// operation's builder instead of `send()`, or `items()` for a stream that
/// fetches a page when the one before is used up.
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let api = kratos_client::FrontendApi::new("https://auth.example.com")?;
///
/// // One page at a time.
/// let page = api.list_my_sessions().page_size(50).session_token(token).send().await?;
/// for session in &page.items {
///     println!("{}", session.id);
/// }
/// if let Some(next) = page.next_page_token() {
///     let _second = api.list_my_sessions().page_size(50).page_token(next).session_token(token).send().await?;
/// }
///
/// // Every item, following the `Link` headers.
/// let all = api.list_my_sessions().session_token(token).all().await?;
///
/// // Or as a stream, one page in memory at a time.
/// let mut sessions = std::pin::pin!(api.list_my_sessions().session_token(token).items());
/// while let Some(session) = sessions.next().await {
///     println!("{}", session?.id);
/// }
/// # let _ = all;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page, in the server's order.
    pub items: Vec<T>,
    next_page_token: Option<String>,
}

impl<T> Page<T> {
    /// The items and the next page's token.
    pub(crate) fn into_parts(self) -> (Vec<T>, Option<String>) {
        (self.items, self.next_page_token)
    }

    /// A page of `items` followed by the page `next_page_token` starts, if any.
    ///
    /// An empty page is the last, whatever token it names: Kratos v26.2.0
    /// links a `next` page after an empty list of sessions, and after that
    /// page another, without end.
    pub fn new(items: Vec<T>, next_page_token: Option<String>) -> Self {
        let next_page_token = next_page_token.filter(|_| !items.is_empty());
        Page {
            items,
            next_page_token,
        }
    }

    /// The token of the next page, from the `Link` header; `None` on the last page.
    pub fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }

    /// Whether no page follows this one.
    pub fn is_last(&self) -> bool {
        self.next_page_token.is_none()
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Why a `Link` header could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadLink;

/// The `page_token` of the `rel="next"` link among a response's `Link`
/// headers: `Ok(None)` when there is no next link (the last page), an error
/// when there is one without a usable token.
///
/// Kratos writes `<URL>; rel="first",<URL>; rel="next"`, in one header or in
/// several, with the token percent-encoded in the URL's query; some versions
/// percent-encode the whole URL.
pub(crate) fn next_page_token(headers: &HeaderMap) -> Result<Option<String>, BadLink> {
    for value in headers.get_all(LINK) {
        let value = value.to_str().map_err(|_| BadLink)?;
        for link in split_links(value) {
            let Some((target, params)) = parse_link(link) else {
                continue;
            };
            if !has_rel(params, "next") {
                continue;
            }
            return token_of(target).map(Some).ok_or(BadLink);
        }
    }
    Ok(None)
}

/// The links of a header value: split at the commas outside `<...>`.
fn split_links(value: &str) -> Vec<&str> {
    let mut links = Vec::new();
    let (mut start, mut inside) = (0, false);
    for (i, c) in value.char_indices() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            ',' if !inside => {
                links.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    links.push(&value[start..]);
    links
}

/// `<target>; params` → (target, params).
fn parse_link(link: &str) -> Option<(&str, &str)> {
    let link = link.trim().strip_prefix('<')?;
    let end = link.find('>')?;
    Some((&link[..end], &link[end + 1..]))
}

/// Whether the link's `rel` parameter (a space-separated list) holds `rel`.
fn has_rel(params: &str, rel: &str) -> bool {
    params.split(';').any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(rel))
    })
}

/// The non-empty, percent-decoded `page_token` in a link's target.
fn token_of(target: &str) -> Option<String> {
    // A target whose query was escaped along with the rest (`%3F` for `?`).
    let decoded;
    let target = if target.contains('?') {
        target
    } else {
        decoded = percent_encoding::percent_decode_str(target)
            .decode_utf8()
            .ok()?;
        &*decoded
    };
    let base = url::Url::parse("http://kratos.invalid/").ok()?;
    let url = base.join(target).ok()?;
    let token = url
        .query_pairs()
        .find(|(name, _)| name == "page_token")
        .map(|(_, value)| value.into_owned())?;
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(values: &[&str]) -> Result<Option<String>, BadLink> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(LINK, value.parse().unwrap());
        }
        next_page_token(&headers)
    }

    #[test]
    fn the_next_token_is_read_from_any_form_kratos_writes() {
        // One header, as Kratos v1.1 onward writes it.
        assert_eq!(
            links(&[
                r#"</sessions?page_size=2&page_token=abc>; rel="first",</sessions?page_size=2&page_token=eyJrIjoxfQ%3D%3D>; rel="next""#
            ]),
            Ok(Some("eyJrIjoxfQ==".into()))
        );
        // One header a link, absolute URLs, unquoted and listed rels.
        assert_eq!(
            links(&[
                "<https://kratos.example/sessions?page_token=first>; rel=first",
                "<https://kratos.example/sessions?page_size=2&page_token=n%2B1>; rel=\"prev next\"",
            ]),
            Ok(Some("n+1".into()))
        );
        // The whole URL escaped, as one version of ory/x wrote it.
        assert_eq!(
            links(&[r#"<%2Fsessions%3Fpage_size%3D2%26page_token%3Dxyz>; rel="next""#]),
            Ok(Some("xyz".into()))
        );
    }

    #[test]
    fn the_last_page_has_no_next_and_a_broken_next_is_an_error() {
        assert_eq!(links(&[]), Ok(None));
        assert_eq!(
            links(&[r#"</sessions?page_token=abc>; rel="first""#]),
            Ok(None)
        );
        assert_eq!(links(&["not a link at all"]), Ok(None));
        assert_eq!(
            links(&[r#"</sessions?page_size=2>; rel="next""#]),
            Err(BadLink)
        );
        assert_eq!(
            links(&[r#"</sessions?page_token=>; rel="next""#]),
            Err(BadLink)
        );
        assert_eq!(links(&[r#"<%zz>; rel="next""#]), Err(BadLink));
    }

    #[test]
    fn a_page_iterates_over_its_items() {
        let page = Page::new(vec![1, 2], Some("t".into()));
        assert!(!page.is_last());
        assert_eq!(page.next_page_token(), Some("t"));
        assert_eq!(page.into_iter().sum::<i32>(), 3);
    }

    #[test]
    fn an_empty_page_is_the_last_whatever_it_links() {
        // Kratos v26.2.0's answer to an empty list of sessions links a next
        // page, and that page the one after it.
        let page: Page<i32> = Page::new(Vec::new(), Some("eyJvZmZzZXQiOiIyIn0".into()));
        assert!(page.is_last());
        assert_eq!(page.next_page_token(), None);
    }
}
