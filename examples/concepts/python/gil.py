#!/usr/bin/env python3
"""Lesson `gil`, in CPython: the same prime count serially, on threads and on
processes, for comparison with the Rust rows on the same machine.

`cargo run -p concepts -- gil --python` runs this file and prints its rows
beside Rust's. By hand: `python3 gil.py --limit 200000 --workers 2`.

Output: a JSON list on stdout, one object per strategy, with the wall time
and the CPU time (this process's threads plus the worker processes it
waited for), both in seconds, and the count found.

The work is cut exactly as the Rust workers cut it: every `workers`-th chunk
of 4096 numbers, so each worker gets an even share.
"""

import argparse
import json
import resource
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

CHUNK = 4096


def is_prime(n):
    """Trial division by odd numbers up to the square root, as in Rust."""
    if n < 2:
        return False
    if n < 4:
        return True
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_range(start, end):
    return sum(1 for n in range(start, end) if is_prime(n))


def share(limit, index, of):
    """Worker `index` of `of`: chunks index, index + of, index + 2*of, ..."""
    chunks = (limit + CHUNK - 1) // CHUNK
    return sum(
        count_range(c * CHUNK, min((c + 1) * CHUNK, limit))
        for c in range(index, chunks, of)
    )


def cpu_seconds():
    """CPU time of this process (all threads) and of its reaped children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(strategy, work, limit):
    cpu, wall = cpu_seconds(), time.perf_counter()
    primes = work()
    return {
        "strategy": strategy,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": cpu_seconds() - cpu,
        "detail": f"{primes} primes below {limit}",
    }


def on_pool(pool_type, limit, workers):
    # Leaving the `with` block waits for every worker (and, for processes,
    # reaps them, so their CPU time shows up in RUSAGE_CHILDREN).
    with pool_type(max_workers=workers) as pool:
        futures = [pool.submit(share, limit, i, workers) for i in range(workers)]
        return sum(f.result() for f in futures)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    limit, workers = args.limit, args.workers
    rows = [
        timed("serial", lambda: count_range(0, limit), limit),
        timed("threads", lambda: on_pool(ThreadPoolExecutor, limit, workers), limit),
        timed("processes", lambda: on_pool(ProcessPoolExecutor, limit, workers), limit),
    ]
    if len({row["detail"] for row in rows}) != 1:
        raise SystemExit(f"the strategies disagree: {rows}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
