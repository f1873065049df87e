//! A browser, as far as Kratos's browser flows need one: a cookie jar
//! (by name, for one host, ports shared as browsers share them), no
//! redirect followed on its own, forms posted URL-encoded.

use std::collections::BTreeMap;

use serde_json::Value;

/// What the browser got back.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    /// `Location`, for a redirect.
    pub location: Option<String>,
    /// The names of the cookies set (or cleared, `name=`) by the answer.
    pub set_cookies: Vec<String>,
    pub body: Value,
}

pub struct Browser {
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new() -> Self {
        // Building one of the crate's clients installs the TLS provider a
        // bare reqwest client needs.
        kratos_client::FrontendApi::new("http://127.0.0.1").unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            cookies: BTreeMap::new(),
        }
    }

    /// The `Cookie` header the browser sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match self.cookies.is_empty() {
            true => request,
            false => request.header("cookie", self.cookie_header()),
        };
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        let mut set_cookies = Vec::new();
        for cookie in response.headers().get_all("set-cookie") {
            let text = cookie.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let cleared = value.is_empty() || text.contains("Max-Age=0");
            if cleared {
                self.cookies.remove(name);
                set_cookies.push(format!("{name}="));
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
                set_cookies.push(name.to_string());
            }
        }
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Page {
            status,
            location,
            set_cookies,
            body,
        }
    }

    /// Opens `url` as a link or an address typed in.
    pub async fn open(&mut self, url: &str) -> Page {
        let request = self.client.get(url);
        self.send(request).await
    }

    /// Fetches `url` as a page's script (or the app's server) asking for JSON.
    pub async fn fetch_json(&mut self, url: &str) -> Page {
        let request = self.client.get(url).header("accept", "application/json");
        self.send(request).await
    }

    /// Posts a form, URL-encoded, as a browser submits it.
    pub async fn post_form(&mut self, url: &str, fields: &[(&str, &str)]) -> Page {
        let request = self.form(url, fields);
        self.send(request).await
    }

    fn form(&self, url: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// Posts a form as a page's script does, asking for JSON.
    pub async fn post_form_json(&mut self, url: &str, fields: &[(&str, &str)]) -> Page {
        let request = self.form(url, fields).header("accept", "application/json");
        self.send(request).await
    }
}

impl Page {
    /// The names of the cookies the answer set (`name=` for one cleared),
    /// Kratos's CSRF cookie as `csrf_token_{hash}` (it is named by a hash
    /// of Kratos's own address).
    pub fn cookie_names(&self) -> Vec<String> {
        self.set_cookies
            .iter()
            .map(|c| match c.starts_with("csrf_token_") {
                true => "csrf_token_{hash}".to_string(),
                false => c.clone(),
            })
            .collect()
    }
}

/// The `flow` (or `id`) query parameter of a redirect's target.
pub fn query_of(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of a flow's `csrf_token` node.
pub fn csrf_of(flow: &Value) -> String {
    flow["ui"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["attributes"]["name"] == "csrf_token")
        .and_then(|n| n["attributes"]["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Where a browser sent to a social sign-in provider ended up.
#[derive(Debug)]
pub struct Trip {
    /// Each address it was sent to, without its query (which carries
    /// codes and state).
    pub hops: Vec<String>,
    /// The same addresses whole.
    pub visited: Vec<String>,
    /// The last address: the first that starts with the one waited for
    /// (or leaves this machine), or the page it stopped at.
    pub end: String,
    /// The page it stopped at, when it did not reach the address waited for.
    pub stopped: Option<Page>,
}

impl Browser {
    /// Follows redirects from `url` as a browser does, answering the test
    /// provider's consent page with `decision` (`allow` or `deny`), until
    /// a redirect leaves for an address starting with `until` (an app's
    /// `return_to`, which nothing serves here) or a page that is no
    /// redirect.
    pub async fn through_provider(&mut self, url: &str, decision: &str, until: &str) -> Trip {
        let mut hops = Vec::new();
        let mut visited = Vec::new();
        let mut at = url.to_string();
        let mut form: Option<Vec<(String, String)>> = None;
        for _ in 0..20 {
            hops.push(at.split('?').next().unwrap_or_default().to_string());
            visited.push(at.clone());
            let page = match form.take() {
                Some(fields) => {
                    let fields: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    self.post_form(&at, &fields).await
                }
                None => self.open(&at).await,
            };
            if let Some(location) = &page.location {
                let to = url::Url::parse(&at)
                    .and_then(|base| base.join(location))
                    .map(String::from)
                    .unwrap_or_else(|_| location.clone());
                // An address off this machine (Kratos's fallback pages) is
                // where the trip ends, as the app would see it.
                let local = url::Url::parse(&to)
                    .is_ok_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost")));
                if to.starts_with(until) || !local {
                    return Trip {
                        hops,
                        visited,
                        end: to,
                        stopped: None,
                    };
                }
                at = to;
                continue;
            }
            let html = page.body.as_str().unwrap_or_default();
            if html.contains("id=\"consent\"") {
                let request = html
                    .split("name=\"request\" value=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default()
                    .to_string();
                at = url::Url::parse(&at)
                    .and_then(|base| base.join("/authorize"))
                    .map(String::from)
                    .unwrap_or_default();
                form = Some(vec![
                    ("request".into(), request),
                    ("decision".into(), decision.into()),
                ]);
                continue;
            }
            return Trip {
                hops,
                visited,
                end: at,
                stopped: Some(page),
            };
        }
        panic!("more than 20 redirects from {url}");
    }
}
