#!/usr/bin/env python3
"""A breadth-first, same-origin web crawler in Python asyncio + aiohttp.

This is the Python side of the crawler benchmark: the program a competent
Python developer would write for "I/O-bound, many" (the asyncio row of the
"GIL, threading, multiprocessing, asyncio: when to use what?" table). It is
compared with the async strategy of the Rust `crawler` package (tokio) by
`cargo xtask bench crawler`, which runs both against the same local site.

Run it:

    pip install aiohttp
    python3 crawler.py http://127.0.0.1:8000/ --concurrency 64 --json
    python3 crawler.py URL [--concurrency N] [--max-pages N] [--max-depth N]
                           [--timeout SECONDS] [--json] [--out FILE]

Semantics (as close to the Rust crawler's as aiohttp makes natural; the
differences are listed at the end):

- Breadth-first from URL, staying on URL's origin (scheme, host, port). A
  fixed pool of N worker tasks pulls from one FIFO asyncio.Queue, so at most N
  requests are in flight; the crawl ends when the queue is empty and no worker
  is busy (`queue.join()`).
- Every normalised URL is fetched at most once. Normalisation: resolve against
  the page URL (after redirects) or the document's `<base href>`, drop the
  fragment, lowercase scheme and host, drop the default port and an empty
  query, keep the rest as is. Only http and https.
- Links come from `<a href>`, `<area href>`, `<iframe src>` and `<frame src>`,
  found with the standard
  library's `html.parser` (which decodes entities in attributes and ignores
  comments and `<script>` contents), in text/html and application/xhtml+xml
  responses only.
- robots.txt of the origin is obeyed (RFC 9309: a 4xx means "allow all", a 5xx
  or a failed fetch means "disallow all"); it is not counted as a page.
- Redirects are followed (aiohttp's default, at most 10, even off the site:
  the Rust crawler follows 5 and stops at the site's edge). There is no cap
  on a body's size (the Rust crawler's is 8 MiB). A fetch that raises
  (timeout, connection error, too many redirects) is an error, never a crash.
- `--max-pages` caps the number of URLs fetched; `--max-depth` caps the link
  distance from URL (URL itself has depth 0). A URL's depth is the one it was
  first found at: with several pages in flight that can be longer than its
  shortest distance, so a depth-limited crawl may stop a few pages short of a
  strictly level-by-level one.

Output: `--json` prints one object on stdout,
`{"pages", "ok", "errors", "seconds", "pages_per_s", "concurrency", "bytes"}`,
where pages = URLs fetched (any outcome) = ok (2xx) + errors (exception or
non-2xx), seconds = wall time of the crawl (robots.txt included, interpreter
start-up excluded) and bytes = total decoded body bytes. Without `--json` a
short summary goes to stderr. `--out FILE` writes one JSON line per fetched
URL, `{"url", "status", "bytes", "links", "ms"}` (status is null when the fetch
raised; links = distinct http(s) links on the page, before filtering), to
FILE.tmp, renamed to FILE when the crawl is done.

Exit status: 0 on a finished crawl, 2 on bad arguments, 3 if aiohttp is not
installed (the benchmark skips the Python side then).

Shortcuts, labelled: a real crawler would also honour Crawl-delay, cap body
sizes, look for `<meta charset>`, percent-encode non-ASCII paths and remember
where redirects landed (a redirect target linked elsewhere is fetched again).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.robotparser
from collections import Counter
from html.parser import HTMLParser
from typing import TextIO
from urllib.parse import urljoin, urlsplit, urlunsplit

try:
    import aiohttp
except ImportError:
    print("aiohttp is not installed: pip install aiohttp", file=sys.stderr)
    sys.exit(3)

USER_AGENT = "when-to-use-what-crawler-py/0.1"
DEFAULT_PORTS = {"http": 80, "https": 443}
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


# --------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------


def normalise(href: str, base: str) -> tuple[str, str] | None:
    """Resolve `href` against `base`; return (normalised URL, origin), or None
    if it is not an http(s) URL with a host."""
    try:
        parts = urlsplit(urljoin(base, href.strip()))
        scheme = parts.scheme.lower()
        default_port = DEFAULT_PORTS.get(scheme)
        if default_port is None:
            return None
        host = parts.hostname  # already lowercased, brackets stripped
        port = parts.port  # raises ValueError if out of range / not a number
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    hostport = host if port is None or port == default_port else f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}@{hostport}" if at else hostport
    # An empty query ("?") and the fragment vanish here: urlunsplit leaves out
    # empty components.
    url = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    return url, f"{scheme}://{hostport}"


class LinkParser(HTMLParser):
    """Collects `<a href>`, `<area href>`, `<iframe src>`, `<frame src>` and the
    first `<base href>`.

    HTMLParser unescapes attribute values and treats <script>/<style> bodies
    as text, so links in comments and scripts are not found: what a browser
    would do."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "area", "iframe", "frame"):
            wanted = "src" if tag in ("iframe", "frame") else "href"
            for name, value in attrs:
                if name == wanted and value is not None:
                    self.hrefs.append(value)
                    break
        elif tag == "base" and self.base is None:
            for name, value in attrs:
                if name == "href" and value is not None:
                    self.base = value
                    break


def extract_links(text: str, page_url: str) -> list[tuple[str, str]]:
    """Distinct (url, origin) pairs of the links on one page, in page order."""
    parser = LinkParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001 - malformed markup: keep what was found
        pass
    base = page_url
    if parser.base is not None:
        # <base href> is itself resolved against the page URL and applies to
        # the whole document, even to links that come before it.
        base = urljoin(page_url, parser.base.strip())
    links: dict[str, str] = {}
    for href in parser.hrefs:
        link = normalise(href, base)
        if link is not None:
            links.setdefault(*link)
    return list(links.items())


# --------------------------------------------------------------------------
# The crawler
# --------------------------------------------------------------------------


class Crawler:
    def __init__(
        self,
        start_url: str,
        origin: str,
        *,
        concurrency: int,
        max_pages: int,
        max_depth: int | None,
        timeout: float,
        out: TextIO | None,
    ) -> None:
        self.start_url = start_url
        self.origin = origin
        self.concurrency = concurrency
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.timeout = timeout
        self.out = out
        # Single-threaded event loop: plain sets and ints need no lock, the
        # only switch points are the awaits.
        self.queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self.seen: set[str] = set()
        self.enqueued = 0
        self.robots = urllib.robotparser.RobotFileParser()
        self.ok = 0
        self.errors = 0
        self.bytes = 0
        self.statuses: Counter[int | None] = Counter()

    @property
    def pages(self) -> int:
        return self.ok + self.errors

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.concurrency, limit_per_host=self.concurrency
        )
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"User-Agent": USER_AGENT},
        ) as session:
            await self.load_robots(session)
            self.enqueue(self.start_url, 0)
            if self.enqueued == 0 and self.max_pages > 0 and not self.robots.disallow_all:
                print(f"warning: robots.txt disallows {self.start_url}", file=sys.stderr)
            workers = [
                asyncio.create_task(self.worker(session))
                for _ in range(self.concurrency)
            ]
            # Done when every queued URL was visited (queue.join()). Also wake
            # up if a worker dies of a bug: waiting on join() alone would then
            # hang forever instead of showing the traceback.
            joined = asyncio.create_task(self.queue.join())
            done, _ = await asyncio.wait(
                [joined, *workers], return_when=asyncio.FIRST_COMPLETED
            )
            for task in [joined, *workers]:
                task.cancel()
            await asyncio.gather(joined, *workers, return_exceptions=True)
            for task in done:
                task.result()  # re-raises a dead worker's exception

    async def load_robots(self, session: aiohttp.ClientSession) -> None:
        robots = self.robots
        robots_url = self.origin + "/robots.txt"
        try:
            async with session.get(robots_url) as resp:
                body = await resp.read()
                status = resp.status
        except Exception as err:  # noqa: BLE001 - any failure: unreachable
            problem = f"{type(err).__name__}: {err}".rstrip(": ")
        else:
            if 200 <= status < 300:
                robots.parse(body.decode("utf-8", errors="replace").splitlines())
                return
            if 400 <= status < 500:
                robots.allow_all = True  # "unavailable" (e.g. 404): no rules
                return
            problem = f"status {status}"
        # RFC 9309: an unreachable robots.txt means "disallow all". Say so,
        # or a crawl of zero pages would look like a crawler bug.
        robots.disallow_all = True
        print(f"warning: {robots_url}: {problem}; crawling nothing (RFC 9309)",
              file=sys.stderr)

    def enqueue(self, url: str, depth: int) -> None:
        """Queue `url` unless it was seen, is disallowed or is over a limit.
        Callers check the origin."""
        if url in self.seen or self.enqueued >= self.max_pages:
            return
        self.seen.add(url)
        if not self.robots.can_fetch(USER_AGENT, url):
            return
        self.enqueued += 1
        self.queue.put_nowait((url, depth))

    async def worker(self, session: aiohttp.ClientSession) -> None:
        while True:
            url, depth = await self.queue.get()
            try:
                await self.visit(session, url, depth)
            finally:
                self.queue.task_done()

    async def visit(self, session: aiohttp.ClientSession, url: str, depth: int) -> None:
        started = time.perf_counter()
        status: int | None = None
        body = b""
        links: list[tuple[str, str]] = []
        try:
            async with session.get(url) as resp:
                body = await resp.read()
                status = resp.status
                final_url = str(resp.url)
                content_type = resp.content_type
                charset = resp.charset or "utf-8"
        except Exception:  # noqa: BLE001 - any failed fetch is an error, not a crash
            self.errors += 1
        else:
            if 200 <= status < 300:
                self.ok += 1
            else:
                self.errors += 1
            if content_type in HTML_TYPES:
                try:
                    text = body.decode(charset, errors="replace")
                except LookupError:  # unknown charset name
                    text = body.decode("utf-8", errors="replace")
                # Parsing is CPU work on the event loop thread: while it runs
                # no other worker makes progress. That is the asyncio deal.
                links = extract_links(text, final_url)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.bytes += len(body)
        self.statuses[status] += 1

        if self.max_depth is None or depth < self.max_depth:
            for link, origin in links:
                if origin == self.origin:
                    self.enqueue(link, depth + 1)

        if self.out is not None:
            record = {
                "url": url,
                "status": status,
                "bytes": len(body),
                "links": len(links),
                "ms": round(elapsed_ms, 3),
            }
            self.out.write(json.dumps(record) + "\n")


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:  # also rejects NaN
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Crawl one site breadth-first with asyncio + aiohttp.",
    )
    parser.add_argument("url", help="start URL (http or https); the crawl stays on its origin")
    parser.add_argument("--concurrency", metavar="N", type=positive_int, default=64,
                        help="worker tasks = requests in flight at most (default 64)")
    parser.add_argument("--max-pages", metavar="N", type=non_negative_int, default=100_000,
                        help="fetch at most this many URLs (default 100000)")
    parser.add_argument("--max-depth", metavar="N", type=non_negative_int, default=None,
                        help="follow links at most this far from URL (default unlimited)")
    parser.add_argument("--timeout", metavar="SECONDS", type=positive_float, default=10.0,
                        help="seconds per request, body included (default 10)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON summary on stdout")
    parser.add_argument("--out", metavar="FILE",
                        help="write one JSON line per fetched URL to FILE")
    args = parser.parse_args(argv)
    start = normalise(args.url, args.url)
    if start is None:
        parser.error(f"not an http(s) URL with a host: {args.url!r}")
    args.start_url, args.origin = start
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp_path = args.out + ".tmp" if args.out else None
    try:
        out = open(tmp_path, "w", encoding="utf-8") if tmp_path else None
    except OSError as err:
        print(f"crawler.py: error: cannot write --out: {err}", file=sys.stderr)
        return 2
    crawler = Crawler(
        args.start_url,
        args.origin,
        concurrency=args.concurrency,
        max_pages=args.max_pages,
        max_depth=args.max_depth,
        timeout=args.timeout,
        out=out,
    )
    started = time.perf_counter()
    try:
        asyncio.run(crawler.run())
    except BaseException as exc:
        # Interrupted or broken: leave no half-written file behind.
        if out is not None:
            out.close()
            os.remove(tmp_path)
        if isinstance(exc, KeyboardInterrupt):
            print(f"interrupted after {crawler.pages} pages", file=sys.stderr)
            return 130
        raise
    seconds = time.perf_counter() - started
    if out is not None:
        out.close()
        os.replace(tmp_path, args.out)

    pages_per_s = crawler.pages / seconds if seconds > 0 else 0.0
    if args.json:
        summary = {
            "pages": crawler.pages,
            "ok": crawler.ok,
            "errors": crawler.errors,
            "seconds": round(seconds, 6),
            "pages_per_s": round(pages_per_s, 3),
            "concurrency": args.concurrency,
            "bytes": crawler.bytes,
        }
        print(json.dumps(summary))
    else:
        statuses = ", ".join(
            f"{'error' if status is None else status}: {count}"
            for status, count in sorted(
                crawler.statuses.items(), key=lambda item: (item[0] is None, item[0] or 0)
            )
        )
        print(
            f"crawled {crawler.pages} pages from {args.start_url} in {seconds:.2f} s "
            f"({pages_per_s:.1f} pages/s, concurrency {args.concurrency})\n"
            f"  ok {crawler.ok}, errors {crawler.errors}, {crawler.bytes} bytes\n"
            f"  statuses: {statuses or 'none'}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
