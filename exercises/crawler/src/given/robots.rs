//! robots.txt: which paths a site asks crawlers to leave alone.
//!
//! Given code. The format (RFC 9309): groups of `User-agent:` lines followed
//! by `Allow:` / `Disallow:` rules. A crawler obeys the group naming it, or
//! else the `*` group; among the rules matching a path the longest wins, and
//! `Allow` wins a tie. `*` in a rule matches any run of characters and a
//! final `$` anchors it at the end of the path. A missing robots.txt allows
//! everything.
//!
//! A missing robots.txt (4xx) allows everything; one that cannot be read
//! (5xx, no answer) disallows everything, as RFC 9309 asks. Redirects are
//! followed for robots.txt (up to 5, even to another host: `http://` to
//! `https://`, or to `www.`), unlike for pages.
//!
//! A real crawler would also honour `Crawl-delay` and cache robots.txt per
//! host for a day; this one reads it once per crawl.
//!
//! Given code: the reference solution compiles this same file (see
//! `solutions/crawler/src/lib.rs`), so leave it as it is.

use crate::crawl::Options;
use crate::fetch;
use url::Url;

/// One `Allow:` (true) or `Disallow:` (false) line, with its pattern.
type Rule = (bool, String);

/// The rules that apply to one crawler on one site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Robots {
    /// In file order.
    rules: Vec<Rule>,
}

impl Robots {
    /// Allow everything (no robots.txt, or an error fetching it).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Disallow everything: what RFC 9309 asks of a crawler whose
    /// robots.txt request failed with a server or network error.
    pub fn disallow_all() -> Robots {
        Robots {
            rules: vec![(false, "/".to_owned())],
        }
    }

    /// The rules of `text` that apply to `user_agent`: the group naming its
    /// product token (before the first `/`, compared ignoring case), or
    /// else the `*` group.
    pub fn parse(text: &str, user_agent: &str) -> Robots {
        let token = user_agent
            .split('/')
            .next()
            .unwrap_or(user_agent)
            .trim()
            .to_ascii_lowercase();
        // Groups as (agents, rules); consecutive User-agent lines share a group.
        let mut groups: Vec<(Vec<String>, Vec<Rule>)> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push((Vec::new(), Vec::new()));
                        in_agents = true;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    // An empty Disallow means "nothing is disallowed".
                    if let Some(group) = groups.last_mut()
                        && !value.is_empty()
                    {
                        group.1.push((key == "allow", value.to_owned()));
                    }
                }
                _ => {}
            }
        }
        // The groups naming this crawler, if any; else the `*` groups.
        let names_us = |agents: &Vec<String>| agents.iter().any(|a| a != "*" && *a == token);
        let is_star = |agents: &Vec<String>| agents.iter().any(|a| a == "*");
        let named = groups.iter().any(|(agents, _)| names_us(agents));
        let rules = groups
            .iter()
            .filter(|(agents, _)| {
                if named {
                    names_us(agents)
                } else {
                    is_star(agents)
                }
            })
            .flat_map(|(_, rules)| rules.iter().cloned())
            .collect();
        Robots { rules }
    }

    /// May a crawler fetch `url`? (Its path and query are checked.)
    pub fn allows_url(&self, url: &Url) -> bool {
        match url.query() {
            Some(query) => self.allows(&format!("{}?{query}", url.path())),
            None => self.allows(url.path()),
        }
    }

    /// May a crawler fetch `path` (with its query, e.g. `/a/b?c=d`)?
    pub fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let better = match best {
                    None => true,
                    Some((len, was_allow)) => {
                        pattern.len() > len || (pattern.len() == len && *allow && !was_allow)
                    }
                };
                if better {
                    best = Some((pattern.len(), *allow));
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// robots.txt is small; anything bigger than this is not one.
const MAX_ROBOTS: u64 = 512 << 10;

/// Where `site` keeps its robots.txt.
pub fn robots_url(site: &Url) -> Url {
    let mut url = site.clone();
    url.set_path("/robots.txt");
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// RFC 9309: the rules of a 2xx answer; no file (4xx) allows everything;
/// a server error (5xx) or no answer at all disallows everything, since
/// the site may be struggling and its rules are unknown.
fn from_answer(answer: Result<fetch::Fetched, fetch::FetchError>, options: &Options) -> Robots {
    match answer {
        Ok(found) if (200..300).contains(&found.status) => {
            Robots::parse(&String::from_utf8_lossy(&found.body), &options.user_agent)
        }
        Ok(found) if (400..500).contains(&found.status) => Robots::allow_all(),
        other => {
            let why = match other {
                Ok(found) => format!("it answered HTTP {}", found.status),
                Err(error) => error.to_string(),
            };
            tracing::warn!(
                "robots.txt could not be read ({why}): crawling nothing, as RFC 9309 asks"
            );
            Robots::disallow_all()
        }
    }
}

/// Redirects followed for robots.txt (RFC 9309: at least five).
const ROBOTS_REDIRECTS: usize = 5;

/// Fetch and parse `site`'s robots.txt. `client` is the crawl's; it is only
/// used if robots.txt needs no redirect, since its policy stops redirects
/// off the site and RFC 9309 asks to follow those for robots.txt.
pub async fn fetch_robots(client: &reqwest::Client, site: &Url, options: &Options) -> Robots {
    let url = robots_url(site);
    let mut answer = tokio::time::timeout(options.timeout, fetch::fetch(client, &url, MAX_ROBOTS))
        .await
        .unwrap_or(Err(fetch::FetchError::Timeout));
    if let Err(fetch::FetchError::OffSite(_)) = answer {
        let follow = reqwest::Client::builder()
            .user_agent(&options.user_agent)
            .redirect(reqwest::redirect::Policy::limited(ROBOTS_REDIRECTS))
            .build();
        if let Ok(follow) = follow {
            answer = tokio::time::timeout(options.timeout, fetch::fetch(&follow, &url, MAX_ROBOTS))
                .await
                .unwrap_or(Err(fetch::FetchError::Timeout));
        }
    }
    from_answer(answer, options)
}

/// Fetch and parse `site`'s robots.txt with the blocking client.
pub fn fetch_robots_blocking(
    client: &reqwest::blocking::Client,
    site: &Url,
    options: &Options,
) -> Robots {
    let url = robots_url(site);
    let mut answer = fetch::fetch_blocking(client, &url, MAX_ROBOTS, options.timeout);
    if let Err(fetch::FetchError::OffSite(_)) = answer {
        let follow = reqwest::blocking::Client::builder()
            .user_agent(&options.user_agent)
            .redirect(reqwest::redirect::Policy::limited(ROBOTS_REDIRECTS))
            .timeout(options.timeout)
            .build();
        if let Ok(follow) = follow {
            answer = fetch::fetch_blocking(&follow, &url, MAX_ROBOTS, options.timeout);
        }
    }
    from_answer(answer, options)
}

/// Does a robots.txt `pattern` match the start of `path`?
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if last && anchored {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    !anchored || rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# comment\nUser-agent: BadBot\nDisallow: /\n\nUser-agent: *\nDisallow: /private/\nAllow: /private/open.html\nDisallow: /*.pdf$\n";

    #[test]
    fn star_group_applies_to_others() {
        let robots = Robots::parse(TEXT, "when-to-use-what-crawler/0.1");
        assert!(robots.allows("/"));
        assert!(robots.allows("/docs/a.html"));
        assert!(!robots.allows("/private/secret.html"));
        assert!(robots.allows("/private/open.html"));
        assert!(!robots.allows("/files/a.pdf"));
        assert!(robots.allows("/files/a.pdf.html"));
    }

    #[test]
    fn named_group_wins() {
        let robots = Robots::parse(TEXT, "BadBot/2.0");
        assert!(!robots.allows("/"));
        assert!(!robots.allows("/docs/a.html"));
    }

    #[test]
    fn empty_allows_all() {
        assert!(Robots::parse("", "x").allows("/anything"));
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "x").allows("/anything"));
        assert!(Robots::allow_all().allows("/private/"));
        assert!(!Robots::disallow_all().allows("/"));
        // The product token is matched whole, not as a substring.
        assert!(
            Robots::parse(
                "User-agent: when\nDisallow: /\n",
                "when-to-use-what-crawler/1"
            )
            .allows("/")
        );
    }
}
