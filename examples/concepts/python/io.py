#!/usr/bin/env python3
"""Lesson `io`, in CPython: blocking requests one after another versus on a
thread pool, for comparison with the Rust rows on the same machine.

`cargo run -p concepts -- io --python` runs this file and prints its rows
beside Rust's. By hand: `python3 io.py --requests 50 --workers 10 --latency-ms 20`.

A request is simulated with time.sleep, which blocks its thread the way a
blocking socket read does, and releases the GIL while it waits, like real
I/O: that is why threads help here even in CPython.

Output: a JSON list on stdout, one object per strategy: wall and CPU time in
seconds, and a detail with the peak number of requests in flight.
"""

import argparse
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class InFlight:
    """Counts requests in progress and remembers the peak."""

    def __init__(self):
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __enter__(self):
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc):
        with self._lock:
            self.now -= 1


def timed(strategy, work, latency):
    gauge = InFlight()
    cpu, wall = time.process_time(), time.perf_counter()
    responses = work(gauge)
    wall = time.perf_counter() - wall
    if responses != sorted(responses):
        raise SystemExit(f"{strategy}: responses out of order")
    return {
        "strategy": strategy,
        "wall_s": wall,
        "cpu_s": time.process_time() - cpu,
        "detail": f"{gauge.peak} in flight, {wall / latency:.1f} × latency",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()
    latency = args.latency_ms / 1000

    def request(gauge, i):
        with gauge:
            time.sleep(latency)
        return i

    def sequential(gauge):
        return [request(gauge, i) for i in range(args.requests)]

    def pooled(gauge):
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            return list(pool.map(lambda i: request(gauge, i), range(args.requests)))

    rows = [timed("serial", sequential, latency), timed("threads", pooled, latency)]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
