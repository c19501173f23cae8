#!/usr/bin/env python3
"""The log pipeline in Python: asyncio + aiohttp for the downloads, a process
pool for the parsing, sqlite3 for the answers.

This is the Python side of the `pipeline` comparison: the program a Python
developer would write for a "mixed" job, the `asyncio` + `ProcessPoolExecutor`
row of the "GIL, threading, multiprocessing, asyncio: when to use what?"
table. A benchmark runs it beside the Rust `pipeline` on the same input and
checks that the two SQLite databases hold identical rows, so the log format,
the per-file answer and the schema below are shared with the Rust program.

Install and run (Python 3.11 or newer):

    pip install -r requirements.txt
    python3 pipeline.py --input urls.txt --db logs.db
    python3 pipeline.py --input URL_LIST_FILE|URL_OF_LIST|DIR --db FILE
                        [--downloads K] [--workers N] [--batch FILES]
                        [--timeout SECONDS] [--json]

--input is a folder (every regular file in it, in name order), a text file of
http(s) URLs one per line, or an http(s) URL whose body is such a list
(relative URLs in it are resolved against it). --downloads (default 8) is how
many downloads run at once, --workers (default: the number of CPUs) the size of
the process pool, --batch (default 16) how many files go into one SQLite
transaction, --timeout (default 10) the limit for one download, in seconds.

What it does with each input:

1. download it (at most K at once, each within the timeout), or, for a
   folder, let the worker read the file;
2. in a worker process: gunzip it when it starts with the gzip magic (1f 8b),
   split it into lines, parse every line and add it up per file;
3. store the answer in SQLite: a `files` row, plus one row per endpoint and
   per client, all of one file in the same transaction.

Inputs are taken in order, and no more are downloaded than the pool can
take: at most about K + 2*N bodies are in memory at any time, however long
the list.

A download that fails (HTTP status other than 200, timeout, connection error,
truncated body) or a body that does not decompress is stored as a `files` row
with status 'failed' and the error, and the run goes on. A re-run skips the
files already 'done' and retries the failed ones, so an interrupted run can
simply be started again. Ctrl-C stops the downloads, commits every file
already parsed, and waits for the workers to finish the file they are on
(its answer is dropped: the next run does it again); more Ctrl-Cs are ignored
meanwhile.

Output: a short summary, or with --json one JSON object on stdout:
{"files", "failed", "skipped", "lines", "malformed", "compressed_bytes",
"plain_bytes", "wall_s", "workers", "downloads"}, where files and failed count
the inputs stored this run, skipped those already done, lines, malformed and
the two byte counts add up the files done this run (compressed_bytes: the
bytes downloaded or read; plain_bytes: the text parsed, after gunzip), and
wall_s is the time from start (the command line read) to end, the start of
the process pool and the last commit included.
Exit status: 0 when every input is done, 1 when some failed, 2 for a bad
command line, --input or database, 130 after Ctrl-C.

The line format (nginx "combined" plus an optional request time):

    CLIENT IDENT USER [TIME] "REQUEST" STATUS BYTES "REFERER" "AGENT"[ SECONDS.MMM]

Fields are separated by one space; quoted strings may hold `\\"` and `\\\\`;
STATUS is 100..599; BYTES is digits or `-`. The endpoint is REQUEST's middle
part up to the first `?`, or `-` when REQUEST is not three parts. Anything else
is a malformed line, and so is a line that is not valid UTF-8. Blank lines are
not counted; a trailing `\\r` is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import dataclasses
import gzip
import json
import multiprocessing
import os
import re
import signal
import sqlite3
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

try:
    import aiohttp
except ImportError:
    print("aiohttp is not installed: pip install -r requirements.txt", file=sys.stderr)
    sys.exit(2)


# --------------------------------------------------------------------------
# Parsing: runs in the worker processes
# --------------------------------------------------------------------------

# One compiled regular expression per line is the fastest correct parser in
# CPython: the whole line is checked by one call into C, where splitting and
# testing each field with str methods would cost a dozen Python-level steps.
# A quoted string is `"`, then characters other than `"` and `\` or a
# backslash and any one character, then `"` (written as "a run, then
# escape-and-run pairs" rather than (?:[^"\\]|\\.)* so that it does not
# backtrack). `[0-9]` and not `\d`, which would accept other scripts' digits.
# The `\r?` at the end is the trailing carriage return.
LINE = re.compile(
    r"([^ ]+) [^ ]+ [^ ]+ \[[^\]]*\] "  # CLIENT IDENT USER [TIME]
    r'"([^"\\]*(?:\\.[^"\\]*)*)" '  # "REQUEST"
    r"([1-5])[0-9][0-9] ([0-9]+|-) "  # STATUS (its class captured) BYTES
    r'"[^"\\]*(?:\\.[^"\\]*)*" '  # "REFERER"
    r'"[^"\\]*(?:\\.[^"\\]*)*"'  # "AGENT"
    r"(?: ([0-9]+)\.([0-9]{3}))?\r?"  # [ SECONDS.MMM]
)
# Inside quotes `\"` is a quote and `\\` a backslash; any other backslash
# sequence stays as written.
UNESCAPE = re.compile(r'\\(["\\])')

# Upper bounds (milliseconds) of the first 12 histogram buckets; the 13th
# holds everything above 5000 ms.
BOUNDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
# SQLite integers are signed 64-bit: a byte count above this can't be stored.
MAX_INT64 = 2**63 - 1
# An endpoint's numbers: requests, bytes, errors, timed, then the 13 buckets.
REQUESTS, BYTES, ERRORS, TIMED, HIST = 0, 1, 2, 3, 4


@dataclasses.dataclass
class FileResult:
    """The answer for one input, sent back from a worker to the writer."""

    name: str
    error: str | None = None  # None: done; otherwise why it failed
    lines: int = 0
    requests: int = 0
    bytes: int = 0
    status: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys("12345", 0))  # "1": 1xx...
    endpoints: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    clients: dict[str, int] = dataclasses.field(default_factory=dict)
    compressed_bytes: int = 0  # as downloaded or read
    plain_bytes: int = 0  # after gunzip: the text parsed


def small_int(digits: str) -> int | None:
    """int(digits), or None when it does not fit in 64 bits, without calling
    int() on a string of thousands of digits."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > 19:
        return None
    value = int(digits)
    return value if value <= MAX_INT64 else None


def count_lines(lines: list[str], result: FileResult) -> None:
    """Parse every line and add it to `result`. Local names for everything the
    loop touches: this loop is where the time goes."""
    match = LINE.fullmatch
    bucket = bisect.bisect_left
    endpoints = result.endpoints
    clients = result.clients
    status = result.status
    total = requests = total_bytes = 0
    for line in lines:
        if not line or line == "\r":
            continue  # blank lines are not counted at all
        total += 1
        m = match(line)
        if m is None:
            continue  # malformed
        client, request, status_class, size, seconds, millis = m.groups()
        if size == "-":
            size = 0
        elif len(size) < 19:
            size = int(size)
        else:
            size = small_int(size)
            if size is None:
                continue  # a byte count too large to store: malformed
        if "\\" in request:
            request = UNESCAPE.sub(r"\1", request)
        parts = request.split(" ")
        path = parts[1].partition("?")[0] if len(parts) == 3 else "-"

        requests += 1
        total_bytes += size
        status[status_class] += 1
        clients[client] = clients.get(client, 0) + 1
        numbers = endpoints.get(path)
        if numbers is None:
            numbers = endpoints[path] = [0] * 17
        numbers[REQUESTS] += 1
        numbers[BYTES] += size
        if status_class == "5":
            numbers[ERRORS] += 1
        if seconds is not None:
            # "0.042" is 42 ms: the digits without the dot.
            if len(seconds) < 10:
                ms = int(seconds + millis)
            else:
                ms = small_int(seconds + millis)
                if ms is None:
                    ms = BOUNDS[-1] + 1  # a time of more than 2**63 ms: the last bucket
            numbers[TIMED] += 1
            numbers[HIST + bucket(BOUNDS, ms)] += 1
    result.lines += total
    result.requests += requests
    result.bytes += total_bytes


def split_lines(data: bytes) -> tuple[list[str], int]:
    """The lines of `data` as text, and how many lines are not valid UTF-8.

    Decoding the whole text at once is much faster than line by line, and
    gives the same answer when it succeeds (no UTF-8 sequence contains a
    newline byte); only a file with a bad line is decoded line by line. Split
    on "\\n" only: str.splitlines() would also split on \\v, \\f, \\x1c, U+2028...
    """
    try:
        return data.decode("utf-8").split("\n"), 0
    except UnicodeDecodeError:
        pass
    lines, undecodable = [], 0
    for raw in data.split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            undecodable += 1  # never blank: it holds the bad byte
    return lines, undecodable


def analyse_body(name: str, body: bytes) -> FileResult:
    """Worker: gunzip if needed, then parse. Decompressing is CPU work too, so
    it happens here and not on the event loop."""
    result = FileResult(name, compressed_bytes=len(body))
    if body[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
            result.error = f"corrupt gzip: {error}"
            return result
    else:
        data = body
    result.plain_bytes = len(data)
    lines, undecodable = split_lines(data)
    count_lines(lines, result)
    result.lines += undecodable
    return result


def analyse_file(name: str, path: Path) -> FileResult:
    """Worker, folder mode: read the file here rather than in the main process,
    so the bytes are not copied from one process to the other."""
    try:
        body = path.read_bytes()
    except OSError as error:
        return FileResult(name, error=f"read error: {error.strerror or error}")
    return analyse_body(name, body)


# --------------------------------------------------------------------------
# SQLite: one writer, in the main process
# --------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    error TEXT,
    lines INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    s1xx INTEGER NOT NULL DEFAULT 0, s2xx INTEGER NOT NULL DEFAULT 0, s3xx INTEGER NOT NULL DEFAULT 0,
    s4xx INTEGER NOT NULL DEFAULT 0, s5xx INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS endpoints (
    file TEXT NOT NULL, path TEXT NOT NULL,
    requests INTEGER NOT NULL, bytes INTEGER NOT NULL, errors INTEGER NOT NULL, timed INTEGER NOT NULL,
    hist TEXT NOT NULL,
    PRIMARY KEY (file, path)
);
CREATE TABLE IF NOT EXISTS clients (
    file TEXT NOT NULL, client TEXT NOT NULL, requests INTEGER NOT NULL,
    PRIMARY KEY (file, client)
);
"""


def open_db(path: str) -> sqlite3.Connection:
    """Open (or create) the database and make sure it can be written to."""
    # isolation_level=None: no implicit transactions, we say BEGIN and COMMIT.
    # check_same_thread=False: the writes run in a helper thread (see
    # write_results), one batch at a time, so the connection is never shared
    # by two threads at once.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(SCHEMA)
    # A database that exists but can't be written passes the lines above; a
    # write that changes nothing does not.
    conn.execute("BEGIN")
    try:
        conn.execute("DELETE FROM files WHERE 0")
    finally:
        conn.execute("ROLLBACK")
    return conn


def done_names(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM files WHERE status = 'done'")}


def store(conn: sqlite3.Connection, batch: list[FileResult]) -> None:
    """Write several files in one transaction. With synchronous = FULL every
    commit waits for the disk; one commit per batch instead of per file is
    what keeps the writer from being the bottleneck. Each file is still all
    or nothing, since the whole batch is."""
    conn.execute("BEGIN")
    try:
        for result in batch:
            # A failed file has no other rows; a retried one may have had a
            # 'failed' row, which this replaces.
            conn.execute("DELETE FROM endpoints WHERE file = ?", (result.name,))
            conn.execute("DELETE FROM clients WHERE file = ?", (result.name,))
            if result.error is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO files (name, status, error) VALUES (?, 'failed', ?)",
                    (result.name, result.error),
                )
                continue
            conn.execute(
                "INSERT OR REPLACE INTO files (name, status, error, lines, requests, malformed,"
                " bytes, s1xx, s2xx, s3xx, s4xx, s5xx)"
                " VALUES (?, 'done', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    result.name,
                    result.lines,
                    result.requests,
                    result.lines - result.requests,
                    result.bytes,
                    *(result.status[digit] for digit in "12345"),
                ),
            )
            conn.executemany(
                "INSERT INTO endpoints (file, path, requests, bytes, errors, timed, hist)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (result.name, path, n[REQUESTS], n[BYTES], n[ERRORS], n[TIMED],
                     ",".join(map(str, n[HIST:])))
                    for path, n in result.endpoints.items()
                ),
            )
            conn.executemany(
                "INSERT INTO clients (file, client, requests) VALUES (?, ?, ?)",
                ((result.name, client, count) for client, count in result.clients.items()),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # some errors (a full disk) have already rolled it back
            conn.execute("ROLLBACK")
        raise


# --------------------------------------------------------------------------
# The inputs
# --------------------------------------------------------------------------


class SetupError(Exception):
    """A bad --input or database: exit status 2."""


class HTTPStatusError(Exception):
    """A response whose status is not 200."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        super().__init__(f"HTTP {response.status} {response.reason or ''}".rstrip())


def url_name(url: str) -> str:
    """A file's name is the last segment of its URL's path, as written."""
    name = urlsplit(url).path.rpartition("/")[2]
    if not name:
        raise SetupError(f"{url}: the URL's path does not end in a file name")
    return name


def parse_url_list(text: str, base: str | None) -> list[tuple[str, str]]:
    inputs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        url = urljoin(base, line) if base else line
        if urlsplit(url).scheme not in ("http", "https"):
            raise SetupError(f"{line}: not an http(s) URL")
        inputs.append((url_name(url), url))
    return inputs


async def list_inputs(where: str, session: aiohttp.ClientSession, timeout: float) -> list[tuple[str, str | Path]]:
    """(name, source) for every input: source is a URL or, in folder mode, a path."""
    if where.startswith(("http://", "https://")):
        try:
            async with session.get(where, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                if response.status != 200:
                    raise HTTPStatusError(response)
                text = await response.text(errors="replace")
        except (HTTPStatusError, aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise SetupError(f"{where}: {describe(error, timeout)}") from None
        return parse_url_list(text, base=str(response.url))
    folder = Path(where)
    if folder.is_dir():
        return sorted((entry.name, Path(entry.path)) for entry in os.scandir(folder) if entry.is_file())
    try:
        text = folder.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SetupError(f"{where}: not a folder, a URL list or an http(s) URL ({error})") from None
    return parse_url_list(text, base=None)


def describe(error: BaseException, timeout: float) -> str:
    """The error text stored for a failed download."""
    if isinstance(error, asyncio.TimeoutError):  # aiohttp's timeouts are TimeoutErrors too
        return f"timed out after {timeout:g} s"
    if isinstance(error, aiohttp.ClientPayloadError):
        return f"truncated body: {error}"
    if isinstance(error, HTTPStatusError):
        return str(error)
    return f"{type(error).__name__}: {error}"


# --------------------------------------------------------------------------
# The pipeline: asyncio in the main process
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Totals:
    files: int = 0
    failed: int = 0
    skipped: int = 0
    lines: int = 0
    malformed: int = 0
    compressed_bytes: int = 0
    plain_bytes: int = 0


class Pipeline:
    def __init__(
        self, args: argparse.Namespace, conn: sqlite3.Connection, pool: ProcessPoolExecutor, totals: Totals
    ) -> None:
        self.args = args
        self.conn = conn
        self.pool = pool
        self.totals = totals
        self.interrupted = False
        self.timeout = aiohttp.ClientTimeout(total=args.timeout)
        self.todo: asyncio.Queue[tuple[str, str | Path]] = asyncio.Queue()
        # Why the bounds: a download runs only when a downloader is free
        # (K of them), and a downloader hands its body to the pool only
        # when one of 2*N pool slots is free (N being parsed, N queued so
        # that a worker never waits for the next body). A downloader that
        # waits for a slot does not start another download, so at most
        # about K + 2*N bodies are in memory, whatever the number of
        # inputs, and a slow pool slows the downloads down instead of
        # letting bodies pile up.
        self.pool_slots = asyncio.Semaphore(2 * args.workers)
        # Finished answers wait here for the one writer; when it falls
        # behind, this fills up and holds the pool slots in turn.
        self.results: asyncio.Queue[FileResult | None] = asyncio.Queue(maxsize=args.batch)

    async def run(self) -> None:
        args = self.args
        # The decompression happens in the workers (it is CPU work) and the
        # byte counts are of the file as stored: ask for no compression on
        # the wire and don't let aiohttp undo a Content-Encoding.
        async with aiohttp.ClientSession(
            auto_decompress=False, headers={"Accept-Encoding": "identity"}
        ) as session:
            inputs = await list_inputs(args.input, session, args.timeout)
            done = done_names(self.conn)
            seen: set[str] = set()
            for name, source in inputs:
                if name in seen:
                    print(f"warning: {source}: a second input named {name}, ignored", file=sys.stderr)
                elif name in done:
                    self.totals.skipped += 1
                else:
                    self.todo.put_nowait((name, source))
                seen.add(name)

            writer = asyncio.create_task(self.write_results())
            work = asyncio.create_task(self.download_and_parse(session))
            # The writer ends early only if it failed (a full disk, say): then
            # stop the work too, rather than let it wait for room in the queue.
            writer.add_done_callback(lambda _: work.cancel())
            # Ctrl-C: cancel the work, not this task, so that the writer can
            # still commit. (asyncio.run's own handler would cancel this task,
            # and turn a second Ctrl-C into a KeyboardInterrupt wherever it
            # lands, which can leave the process pool hung in its shutdown.)
            # Not when started with Ctrl-C ignored, as by nohup.
            if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
                asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.stop, work)
            try:
                await work
            except asyncio.CancelledError:
                # The work was cancelled, by Ctrl-C or by a failed writer
                # (whose error `await writer` raises below).
                if asyncio.current_task().cancelling():
                    raise  # this task itself is being cancelled
            finally:
                # Normal end, or Ctrl-C (which cancels the work and, with it,
                # the jobs still waiting for a worker): the answers already in
                # the queue are still written, then the writer commits and
                # stops. If the writer failed, awaiting it raises its error.
                if not writer.done():
                    await self.results.put(None)
                await writer

    def stop(self, work: asyncio.Task) -> None:
        if not self.interrupted:
            self.interrupted = True
            print("pipeline: stopping (committing what is parsed)...", file=sys.stderr)
            work.cancel()

    async def download_and_parse(self, session: aiohttp.ClientSession) -> None:
        async with asyncio.TaskGroup() as parsing:
            async with asyncio.TaskGroup() as downloading:
                for _ in range(self.args.downloads):
                    downloading.create_task(self.download(session, parsing))

    async def download(self, session: aiohttp.ClientSession, parsing: asyncio.TaskGroup) -> None:
        """One of K downloaders: take the next input, fetch it, give it to the pool."""
        loop = asyncio.get_running_loop()
        while not self.todo.empty():
            name, source = self.todo.get_nowait()
            if isinstance(source, Path):
                job = (analyse_file, name, source)
            else:
                try:
                    body = await self.fetch(session, source)
                except (HTTPStatusError, aiohttp.ClientError, asyncio.TimeoutError) as error:
                    await self.results.put(FileResult(name, error=describe(error, self.args.timeout)))
                    continue
                job = (analyse_body, name, body)
            await self.pool_slots.acquire()
            future = loop.run_in_executor(self.pool, *job)
            # Wait for the answer in a task of its own, so that this
            # downloader can start the next download meanwhile.
            parsing.create_task(self.collect(name, future))

    async def fetch(self, session: aiohttp.ClientSession, url: str) -> bytes:
        async with session.get(url, timeout=self.timeout) as response:
            if response.status != 200:
                raise HTTPStatusError(response)
            # read() raises ClientPayloadError when the body is shorter than
            # its Content-Length or its chunked encoding is cut off.
            return await response.read()

    async def collect(self, name: str, future: asyncio.Future[FileResult]) -> None:
        try:
            try:
                result = await future
            except Exception as error:  # e.g. a worker that died (BrokenProcessPool)
                result = FileResult(name, error=f"worker: {type(error).__name__}: {error}")
            await self.results.put(result)
        finally:
            self.pool_slots.release()

    async def write_results(self) -> None:
        """The one writer. SQLite allows one writer at a time anyway; a single
        task that batches is simpler and faster than many that take turns."""
        batch: list[FileResult] = []
        while True:
            result = await self.results.get()
            if result is not None:
                batch.append(result)
            if batch and (len(batch) >= self.args.batch or result is None):
                # sqlite3 blocks (the commit waits for the disk): run it in a
                # thread so the event loop keeps the downloads moving.
                await asyncio.to_thread(store, self.conn, batch)
                self.add_up(batch)
                batch = []
            if result is None:
                return

    def add_up(self, batch: list[FileResult]) -> None:
        totals = self.totals
        for result in batch:
            if result.error is not None:
                totals.failed += 1
                print(f"failed: {result.name}: {result.error}", file=sys.stderr)
                continue
            totals.files += 1
            totals.lines += result.lines
            totals.malformed += result.lines - result.requests
            totals.compressed_bytes += result.compressed_bytes
            totals.plain_bytes += result.plain_bytes


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def above_zero(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return value


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Download access logs, parse them in a process pool, store per-file answers in SQLite."
    )
    parser.add_argument("--input", required=True, help="a folder, a file of URLs, or the URL of such a list")
    parser.add_argument("--db", required=True, help="the SQLite database (created if missing)")
    parser.add_argument("--downloads", type=at_least_one, default=8, metavar="K", help="downloads at once (8)")
    parser.add_argument(
        "--workers", type=at_least_one, default=os.cpu_count() or 1, metavar="N",
        help="worker processes (the number of CPUs)",
    )
    parser.add_argument(
        "--batch", type=at_least_one, default=16, metavar="FILES", help="files per transaction (16)"
    )
    parser.add_argument(
        "--timeout", type=above_zero, default=10.0, metavar="SECONDS", help="limit per download (10)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser.parse_args()


def start_pool(workers: int) -> ProcessPoolExecutor:
    """The process pool, with its fork server already started.

    Why a process pool: parsing is pure-Python, CPU-bound work, and the GIL
    lets only one thread run Python code at a time. Processes each have their
    own interpreter, so N of them parse N files at once while the event loop
    keeps the downloads going.

    "forkserver" (the default from Python 3.14 on) because forking a process
    that already runs threads (aiohttp's DNS lookups, asyncio.to_thread) is
    unsafe: the workers are forked by a small server process instead.

    Ctrl-C sends SIGINT to every process in the terminal's foreground group,
    the workers too. Only this process should act on it (stop, commit); a
    worker interrupted while it starts or parses breaks the pool. A blocked
    signal stays blocked in a child process, so start the fork server (the
    first job does) with SIGINT blocked: it and every worker it forks never
    see a Ctrl-C. (The standard library starts its resource tracker the same
    way.) Here, a Ctrl-C that comes meanwhile waits for the unblock.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool.submit(os.getpid)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return pool


def main() -> int:
    args = parse_args()  # exits with status 2 on a bad command line
    started = time.perf_counter()
    try:
        conn = open_db(args.db)
    except sqlite3.Error as error:
        print(f"pipeline: {args.db}: {error}", file=sys.stderr)
        return 2

    totals = Totals()
    interrupted = False
    try:
        # Leaving the `with` waits for the workers to finish their current file.
        with start_pool(args.workers) as pool:
            pipeline = Pipeline(args, conn, pool, totals)
            asyncio.run(pipeline.run())
            if pipeline.interrupted:
                # Stopping: a second Ctrl-C must not break the pool's shutdown.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                interrupted = True
    except SetupError as error:
        print(f"pipeline: {error}", file=sys.stderr)
        return 2
    except sqlite3.Error as error:
        print(f"pipeline: {args.db}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C before the downloads started (while the list was read).
        interrupted = True
    finally:
        conn.close()
    wall = time.perf_counter() - started

    if args.json:
        print(json.dumps({
            "files": totals.files,
            "failed": totals.failed,
            "skipped": totals.skipped,
            "lines": totals.lines,
            "malformed": totals.malformed,
            "compressed_bytes": totals.compressed_bytes,
            "plain_bytes": totals.plain_bytes,
            "wall_s": round(wall, 3),
            "workers": args.workers,
            "downloads": args.downloads,
        }))
    else:
        mb = totals.plain_bytes / 1e6
        print(
            f"{totals.files} files done, {totals.failed} failed, {totals.skipped} already done;"
            f" {totals.lines} lines ({totals.malformed} malformed), {mb:.1f} MB of text"
            f" in {wall:.2f} s ({mb / wall if wall else 0:.1f} MB/s),"
            f" {args.workers} workers, {args.downloads} downloads at once"
        )
    if interrupted:
        print("pipeline: interrupted; run it again to finish", file=sys.stderr)
        return 130
    return 1 if totals.failed else 0


if __name__ == "__main__":
    sys.exit(main())
