#!/usr/bin/env python3
"""Lesson `overhead`, in CPython: what a thread, an asyncio task and a
process cost to start and to keep alive, for comparison with the Rust rows
on the same machine.

`cargo run -p concepts -- overhead --python` runs this file and prints its
rows beside Rust's. By hand: `python3 overhead.py --units 1000,10000 --processes 100`.

Each kind is started N times, all kept alive and waiting at once, and
measured: the time per start, and the memory per unit — this process's
resident growth for threads and tasks (read from /proc/self/statm), and the
children's proportional set size (PSS, /proc/<pid>/smaps_rollup) for
processes. Linux only for the memory figures.

Output: a JSON list on stdout, one object per kind and count.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import threading
import time
import tracemalloc

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def pss(pid):
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def row(kind, units, wall, cpu, memory, what):
    per_kib = memory / units / 1024
    return {
        "strategy": f"{kind} × {units}",
        "wall_s": wall,
        "cpu_s": cpu,
        "detail": f"each: {wall / units * 1e6:.1f} µs to start, {per_kib:.1f} KiB {what}",
    }


def threads(units):
    release = threading.Event()
    before = resident()
    cpu, wall = time.process_time(), time.perf_counter()
    started = [threading.Thread(target=release.wait) for _ in range(units)]
    for thread in started:
        thread.start()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    grown = resident() - before
    release.set()
    for thread in started:
        thread.join()
    return row("threads", units, wall, cpu, grown, "resident")


def tasks(units):
    async def main():
        release = asyncio.Event()
        # Tasks are small Python objects: the allocator reuses freed memory,
        # so resident size barely moves. tracemalloc counts their bytes.
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        cpu, wall = time.process_time(), time.perf_counter()
        started = [asyncio.create_task(release.wait()) for _ in range(units)]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await asyncio.sleep(0)  # let every task reach its wait
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        release.set()
        await asyncio.gather(*started)
        return row("asyncio tasks", units, wall, cpu, grown, "heap")

    return asyncio.run(main())


def processes(units):
    release = multiprocessing.Event()
    cpu, wall = time.process_time(), time.perf_counter()
    started = [multiprocessing.Process(target=release.wait) for _ in range(units)]
    for process in started:
        process.start()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    time.sleep(0.2)  # let them settle into their wait
    total = sum(pss(p.pid) for p in started)
    release.set()
    for process in started:
        process.join()
    return row("processes", units, wall, cpu, total, "resident (PSS)")


def counts(text):
    return [int(part) for part in text.split(",") if part]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=counts, default=[1000, 10000])
    parser.add_argument("--processes", type=counts, default=[100])
    args = parser.parse_args()
    rows = []
    for units in args.units:
        rows.append(threads(units))
        rows.append(tasks(units))
    for units in args.processes:
        rows.append(processes(units))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
