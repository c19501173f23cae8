//! The page graph: which pages exist, how they link, and their HTML.
//!
//! Everything here is a pure function of the seed: [`Graph::build`] draws
//! the paths, the tree and the extra links; [`Graph::render`] draws, from a
//! generator seeded per page, *how* each link is written (relative,
//! absolute, with a fragment, single-quoted…). Rendering returns the HTML
//! together with the list of pages it links, in document order, so the
//! expected answer of a link extractor is produced by the same code that
//! writes the page and cannot drift from it.

use std::collections::{HashMap, VecDeque};

use super::hostile::Hostile;
use super::rng::{SplitMix64, mix};

/// The site's pages, their links and their depths.
#[derive(Debug)]
pub(crate) struct Graph {
    seed: u64,
    pages: Vec<Plan>,
    index: HashMap<String, usize>,
}

/// One page, before rendering.
#[derive(Debug)]
struct Plan {
    /// Path and query, exactly as a crawler normalises it.
    path: String,
    title: String,
    parent: Option<usize>,
    children: Vec<usize>,
    /// The `links_per_page` random extra links (possibly repeated).
    related: Vec<usize>,
    /// One page linked a second time through `<area href>`.
    area: Option<usize>,
    /// The page named by `<base href>`: relative links (and `#top`) resolve
    /// against it instead of against the page itself.
    base: Option<usize>,
    depth: usize,
}

/// A rendered page.
pub(crate) struct Rendered {
    pub(crate) html: String,
    /// Paths (with query) of every same-site link, in document order, with
    /// repeats: what a correct extractor finds before deduplication.
    pub(crate) links: Vec<String>,
}

/// Pages whose index is a multiple of this carry a `<base href>`.
const BASE_EVERY: usize = 37;

impl Graph {
    /// Draw a graph of `pages` pages (at least 1: the root).
    pub(crate) fn build(pages: usize, seed: u64, links_per_page: usize) -> Graph {
        assert!(pages >= 1, "a site has at least its root page");
        let mut rng = SplitMix64::new(seed);
        let mut plans: Vec<Plan> = (0..pages)
            .map(|k| {
                let path = if k == 0 {
                    "/".to_string()
                } else {
                    page_path(k, &mut rng)
                };
                let title = page_title(k, &mut rng);
                // A uniform random recursive tree: every page hangs under an
                // earlier one, so all are reachable and depth grows like ln k.
                let parent = (k > 0).then(|| rng.below(k));
                Plan {
                    path,
                    title,
                    parent,
                    children: Vec::new(),
                    related: Vec::new(),
                    area: None,
                    base: None,
                    depth: 0,
                }
            })
            .collect();
        for k in 1..pages {
            if let Some(parent) = plans[k].parent {
                plans[parent].children.push(k);
            }
        }
        for (k, plan) in plans.iter_mut().enumerate() {
            plan.related = (0..links_per_page).map(|_| rng.below(pages)).collect();
            if k % 5 == 3 && !plan.related.is_empty() {
                plan.area = Some(*rng.pick(&plan.related));
            }
        }
        for k in (BASE_EVERY..pages).step_by(BASE_EVERY) {
            // A base that is another page without a query, so that "#top"
            // still resolves to a real page. A few tries suffice: most pages
            // qualify.
            plans[k].base = (0..8)
                .map(|_| rng.below(pages))
                .find(|&b| b != k && !plans[b].path.contains('?'));
        }
        let index = plans
            .iter()
            .enumerate()
            .map(|(k, plan)| (plan.path.clone(), k))
            .collect();
        let mut graph = Graph {
            seed,
            pages: plans,
            index,
        };
        graph.compute_depths();
        graph
    }

    /// Breadth-first distance from "/" along every link a page carries.
    fn compute_depths(&mut self) {
        let mut depth = vec![usize::MAX; self.pages.len()];
        depth[0] = 0;
        let mut queue = VecDeque::from([0]);
        while let Some(k) = queue.pop_front() {
            for next in self.targets(k) {
                if depth[next] == usize::MAX {
                    depth[next] = depth[k] + 1;
                    queue.push_back(next);
                }
            }
        }
        for (plan, d) in self.pages.iter_mut().zip(depth) {
            // Unreachable cannot happen: every page has a parent chain to 0.
            assert_ne!(d, usize::MAX, "page {} unreachable", plan.path);
            plan.depth = d;
        }
    }

    /// Every graph page page `k` links (in no particular order, repeats
    /// allowed). Must match what `render` writes; a test checks it.
    fn targets(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        let plan = &self.pages[k];
        [plan.base.unwrap_or(k), 0]
            .into_iter()
            .chain(plan.parent)
            .chain(plan.children.iter().copied())
            .chain(plan.related.iter().copied())
            .chain(plan.area)
    }

    pub(crate) fn len(&self) -> usize {
        self.pages.len()
    }

    pub(crate) fn find(&self, path: &str) -> Option<usize> {
        self.index.get(path).copied()
    }

    pub(crate) fn path(&self, k: usize) -> &str {
        &self.pages[k].path
    }

    pub(crate) fn depth(&self, k: usize) -> usize {
        self.pages[k].depth
    }

    /// The HTML of page `k` as served to a client that sent `Host: host`,
    /// and the same-site links in it. Absolute links use `host`, so a
    /// crawler that starts at `http://localhost:PORT/` stays on that host.
    /// The root page also links the entries of the `hostile` modes.
    pub(crate) fn render(&self, k: usize, host: &str, hostile: &[Hostile]) -> Rendered {
        let plan = &self.pages[k];
        let base = plan.base.map(|b| &self.pages[b]);
        let mut w = Writer {
            out: String::with_capacity(8 << 10),
            links: Vec::new(),
            rng: SplitMix64::new(mix(self.seed ^ mix(k as u64 + 1))),
            host,
            own_path: &plan.path,
            rel_dir: directory(base.map_or(&plan.path, |b| &b.path)).to_string(),
            has_base: base.is_some(),
        };

        w.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        w.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        w.raw(&format!("<title>{}</title>\n", plan.title));
        if let Some(base) = base {
            let href = if w.rng.percent(50) {
                base.path.clone()
            } else {
                format!("http://{host}{}", base.path)
            };
            w.raw(&format!("<base href=\"{}\">\n", escape(&href)));
        }
        // Not a link to a page: only <a href> and <area href> count.
        w.raw("<link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n<header>\n<nav>");
        // A fragment-only link resolves to the document's base URL: the page
        // itself, or the <base> page when there is one.
        w.raw("<a href=\"#top\">Top</a>");
        w.links.push(base.map_or(&plan.path, |b| &b.path).clone());
        w.raw(" | ");
        w.link(Element::A, "/", "Home");
        if let Some(parent) = plan.parent {
            w.raw(" | ");
            let up = format!("Up: {}", self.pages[parent].title);
            w.link(Element::A, &self.pages[parent].path, &up);
        }
        w.raw("</nav>\n</header>\n<main>\n");
        w.raw(&format!("<h1 id=\"top\">{}</h1>\n<p>", plan.title));
        w.filler(40);
        w.raw("</p>\n");
        // Decoy: a tokenizer skips comments; a regex does not.
        w.raw(&format!(
            "<!-- <a href=\"{}{k}-comment.html\">old</a> -->\n",
            super::paths::GHOST_PREFIX
        ));

        w.raw("<h2 id=\"section-1\">In this section</h2>\n");
        if plan.children.is_empty() {
            w.raw("<p>No sub-pages.</p>\n");
        } else {
            w.raw("<ul>\n");
            for &child in &plan.children {
                w.raw("<li>");
                w.link(
                    Element::A,
                    &self.pages[child].path,
                    &self.pages[child].title,
                );
                w.raw("</li>\n");
            }
            w.raw("</ul>\n");
        }

        w.raw("<h2 id=\"section-2\">Related</h2>\n");
        for pair in plan.related.chunks(2) {
            w.raw("<p>");
            for &target in pair {
                w.filler(12);
                w.raw(" ");
                w.link(
                    Element::A,
                    &self.pages[target].path,
                    &self.pages[target].title,
                );
                w.raw(". ");
            }
            w.raw("</p>\n");
        }
        if let Some(target) = plan.area {
            w.raw(&format!("<map name=\"map-{k}\">\n"));
            w.link(
                Element::Area,
                &self.pages[target].path,
                &self.pages[target].title,
            );
            w.raw("\n</map>\n");
        }
        w.raw("<h2 id=\"section-3\">Notes</h2>\n<p><a id=\"section-4\"></a>");
        w.filler(30);
        w.raw("</p>\n</main>\n");

        if k == 0 && !hostile.is_empty() {
            w.raw("<section id=\"odd-corners\">\n<h2>Odd corners</h2>\n<ul>\n");
            for mode in hostile {
                for entry in mode.entries() {
                    w.raw(&format!(
                        "<li><a href=\"{entry}\">{}</a></li>\n",
                        mode.name()
                    ));
                    w.links.push((*entry).to_string());
                }
            }
            w.raw("</ul>\n</section>\n");
        }

        // Decoys: links a crawler must not follow as same-site pages.
        w.raw(&format!(
            "<footer>\n<p><a href=\"http://example.invalid/about.html\">About</a> · \
             <a href=\"https://docs.example.invalid/guide/p{k}.html\">Upstream docs</a> · \
             <a href=\"http://127.0.0.1:1/p{k}.html\">Mirror</a> · \
             <a href=\"mailto:webmaster@example.invalid\">Mail</a> · \
             <a href=\"tel:+1-555-0100\">Call</a> · \
             <a href=\"javascript:void(0)\">Print</a></p>\n\
             <p>&copy; Example Docs</p>\n</footer>\n"
        ));
        // Decoy: script content is raw text, not markup.
        w.raw(&format!(
            "<script>var u = \"<a href='{}{k}-script.html'>\";</script>\n",
            super::paths::GHOST_PREFIX
        ));
        w.raw("</body>\n</html>\n");
        Rendered {
            html: w.out,
            links: w.links,
        }
    }
}

#[derive(Clone, Copy)]
enum Element {
    A,
    Area,
}

/// Writes one page, drawing link forms from the page's own generator.
struct Writer<'a> {
    out: String,
    links: Vec<String>,
    rng: SplitMix64,
    host: &'a str,
    own_path: &'a str,
    /// The directory relative links are written against: the `<base>`'s
    /// when there is one.
    rel_dir: String,
    has_base: bool,
}

impl Writer<'_> {
    fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Write a link to graph page `target` in a randomly chosen form, and
    /// record it.
    fn link(&mut self, element: Element, target: &str, text: &str) {
        let href = self.href(target);
        let attribute = self.attribute(&href);
        match element {
            Element::A => {
                let upper = self.rng.percent(5);
                let class = if self.rng.percent(20) {
                    " class=\"internal\""
                } else {
                    ""
                };
                if upper {
                    let attribute = attribute.replacen("href", "HREF", 1);
                    self.out
                        .push_str(&format!("<A{class} {attribute}>{text}</A>"));
                } else {
                    self.out
                        .push_str(&format!("<a{class} {attribute}>{text}</a>"));
                }
            }
            Element::Area => self.out.push_str(&format!(
                "<area shape=\"rect\" coords=\"0,0,120,24\" alt=\"{text}\" {attribute}>"
            )),
        }
        self.links.push(target.to_string());
    }

    /// An href that resolves (against the page, or its `<base>`) to `target`.
    fn href(&mut self, target: &str) -> String {
        let host = self.host;
        let mut href = match self.rng.below(100) {
            0..30 => self.relative(target),
            30..55 => target.to_string(),
            55..65 => {
                // "http://host:port" without a path is the root too.
                if target == "/" && self.rng.percent(50) {
                    format!("http://{host}")
                } else {
                    format!("http://{host}{target}")
                }
            }
            65..73 => format!("//{host}{target}"),
            73..80 => {
                // Scheme and host are case-insensitive; the path is not.
                let scheme = self.rng.pick(&["HTTP", "Http", "hTTp"]);
                format!("{scheme}://{}{target}", host.to_ascii_uppercase())
            }
            _ => {
                let detour = self.rng.pick(&["docs", "blog", "guide", "api"]);
                match self.rng.below(3) {
                    0 => format!("/{detour}/..{target}"),
                    1 => format!("/.{target}"),
                    _ => format!("/{detour}/x/../..{target}"),
                }
            }
        };
        if self.rng.percent(15) {
            href.push_str(&format!("#section-{}", 1 + self.rng.below(4)));
        }
        href
    }

    /// A relative reference: "p18.html", "../s4/p9.html", "../../", or a
    /// query alone ("?page=15&sort=asc") between two query pages.
    fn relative(&mut self, target: &str) -> String {
        let (own_file, _) = split_query(self.own_path);
        let (target_file, target_query) = split_query(target);
        if let Some(query) = target_query
            && !self.has_base
            && own_file == target_file
            && self.rng.percent(50)
        {
            return format!("?{query}");
        }
        relative_ref(&self.rel_dir, target)
    }

    /// `href="…"`, `href='…'` or (when safe) `href=…`, with `&` escaped.
    fn attribute(&mut self, href: &str) -> String {
        let escaped = escape(href);
        let unquotable = href
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:#".contains(&b));
        match self.rng.below(10) {
            0 if unquotable => format!("href={escaped}"),
            0..3 => format!("href='{escaped}'"),
            _ => format!("href=\"{escaped}\""),
        }
    }

    /// `words` words of plausible prose.
    fn filler(&mut self, words: usize) {
        for i in 0..words {
            let word = *self.rng.pick(WORDS);
            if i == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    self.out.extend(first.to_uppercase());
                    self.out.push_str(chars.as_str());
                }
            } else {
                self.out.push(' ');
                self.out.push_str(word);
            }
        }
        self.out.push('.');
    }
}

/// Attribute escaping for the characters our URLs can contain.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
}

/// ("/list", Some("page=5&sort=asc")) for "/list?page=5&sort=asc".
fn split_query(path: &str) -> (&str, Option<&str>) {
    match path.split_once('?') {
        Some((file, query)) => (file, Some(query)),
        None => (path, None),
    }
}

/// The directory part of a path, with its trailing slash: "/docs/s3/" for
/// "/docs/s3/p17.html" and for "/docs/s3/"; "/" for "/list?page=5".
fn directory(path: &str) -> &str {
    let (file, _) = split_query(path);
    match file.rfind('/') {
        Some(i) => &file[..=i],
        None => "/",
    }
}

/// The relative reference that resolves, against directory `from_dir`, to
/// `target` (a path with optional query).
fn relative_ref(from_dir: &str, target: &str) -> String {
    let (target_file, query) = split_query(target);
    let target_dir = directory(target_file);
    let name = &target_file[target_dir.len()..];
    let from: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    let to: Vec<&str> = target_dir.split('/').filter(|s| !s.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = "../".repeat(from.len() - common);
    for segment in &to[common..] {
        out.push_str(segment);
        out.push('/');
    }
    out.push_str(name);
    if out.is_empty() {
        // The directory itself: "" would mean "this document".
        out.push_str("./");
    }
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Page k's path: mostly ".html" files in a few sections, every tenth a
/// query page, every tenth a directory page ("/topics/t17/").
fn page_path(k: usize, rng: &mut SplitMix64) -> String {
    match k % 10 {
        5 => format!("/list?page={k}&sort={}", rng.pick(&["asc", "desc"])),
        7 => format!("/topics/t{k}/"),
        _ => match rng.below(4) {
            0 => format!("/docs/s{}/p{k}.html", rng.below(6)),
            1 => format!("/blog/p{k}.html"),
            2 => format!("/guide/ch{}/p{k}.html", 1 + rng.below(8)),
            _ => format!(
                "/api/{}/p{k}.html",
                rng.pick(&["net", "fs", "sync", "time"])
            ),
        },
    }
}

fn page_title(k: usize, rng: &mut SplitMix64) -> String {
    if k == 0 {
        return "Example Docs".to_string();
    }
    let a = rng.pick(WORDS);
    let b = rng.pick(WORDS);
    let mut title = format!("{a} and {b} ({k})");
    if let Some(first) = title.get(..1) {
        title.replace_range(..1, &first.to_ascii_uppercase());
    }
    title
}

const WORDS: &[&str] = &[
    "thread",
    "task",
    "future",
    "channel",
    "mutex",
    "runtime",
    "executor",
    "waker",
    "poll",
    "spawn",
    "join",
    "select",
    "buffer",
    "socket",
    "latency",
    "throughput",
    "backpressure",
    "deadline",
    "scheduler",
    "worker",
    "queue",
    "lock",
    "atomic",
    "barrier",
    "signal",
    "stream",
    "pipeline",
    "crawler",
    "frontier",
    "request",
    "response",
    "header",
    "timeout",
    "retry",
    "budget",
    "cache",
    "café",
    "naïve",
    "page",
    "link",
    "graph",
    "depth",
    "batch",
    "permit",
    "semaphore",
    "the",
    "a",
    "of",
    "with",
    "without",
    "under",
    "load",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_refs_resolve_to_their_target() {
        assert_eq!(relative_ref("/docs/s3/", "/docs/s3/p18.html"), "p18.html");
        assert_eq!(
            relative_ref("/docs/s3/", "/docs/s4/p9.html"),
            "../s4/p9.html"
        );
        assert_eq!(relative_ref("/docs/s3/", "/"), "../../");
        assert_eq!(relative_ref("/", "/"), "./");
        assert_eq!(relative_ref("/topics/t7/", "/topics/t7/"), "./");
        assert_eq!(
            relative_ref("/blog/", "/list?page=5&sort=asc"),
            "../list?page=5&sort=asc"
        );
        assert_eq!(relative_ref("/", "/blog/p3.html"), "blog/p3.html");
    }

    #[test]
    fn directories() {
        assert_eq!(directory("/docs/s3/p17.html"), "/docs/s3/");
        assert_eq!(directory("/topics/t7/"), "/topics/t7/");
        assert_eq!(directory("/list?page=5&sort=a/b"), "/");
        assert_eq!(directory("/"), "/");
    }

    #[test]
    fn every_link_target_is_a_page_and_depths_are_consistent() {
        let graph = Graph::build(300, 9, 6);
        for k in 0..graph.len() {
            let rendered = graph.render(k, "127.0.0.1:8", &[]);
            for link in &rendered.links {
                let j = graph
                    .find(link)
                    .unwrap_or_else(|| panic!("{link} is not a page"));
                assert!(graph.depth(j) <= graph.depth(k) + 1);
            }
            // `targets` (used for depths) and the HTML agree.
            let mut from_html: Vec<usize> = rendered
                .links
                .iter()
                .filter_map(|l| graph.find(l))
                .collect();
            let mut planned: Vec<usize> = graph.targets(k).collect();
            from_html.sort_unstable();
            planned.sort_unstable();
            assert_eq!(from_html, planned, "page {}", graph.path(k));
        }
    }

    #[test]
    fn paths_are_unique_and_seeds_matter() {
        let a = Graph::build(500, 1, 6);
        assert_eq!(a.index.len(), 500);
        let b = Graph::build(500, 2, 6);
        let differ = (0..500).filter(|&k| a.path(k) != b.path(k)).count();
        assert!(differ > 100, "seed barely matters: {differ}");
    }
}
