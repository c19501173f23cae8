#!/usr/bin/env python3
"""Thumbnail a folder of photos with Pillow and multiprocessing.

This is the Python side of the image-processor benchmark: the program a
competent Python developer writes for "CPU-bound" (the multiprocessing row of
the "GIL, threading, multiprocessing, asyncio: when to use what?" table).
Decoding, resizing and encoding a photo is pure computation, so threads would
queue on the GIL; a pool of worker processes keeps every core busy instead.
`cargo xtask bench image-processor` runs it beside the Rust `image-processor`
on the same photos and the same cores.

Run it:

    pip install pillow
    python3 thumbnail.py --input PHOTOS --output THUMBS
    python3 thumbnail.py --input DIR --output DIR [--resize 512x512]
                         [--quality 85] [--jobs N] [--json]

What it does, per file: every .jpg, .jpeg, .png and .webp directly in the
input folder (not in subfolders) becomes OUTPUT/<stem>.jpg, scaled down with
its aspect ratio kept to fit within the --resize box (never scaled up),
JPEG quality --quality: the same folder-in, folder-out contract as `image-processor`
(it does not turn photos upright by their EXIF orientation, which ours does).

Output: `--json` prints one object on stdout,
`{"images", "processed", "failed", "wall_s", "jobs", "failures"}`, where
failures lists `{"input", "error"}` for each file that could not be done and
wall_s is the wall time of the batch (pool start-up included, interpreter
start-up excluded). Without `--json` a one-line summary goes to stdout.

Exit status: 0 when every image was processed, 1 when some failed (the others
are still done: one bad file never stops the batch), 2 on bad arguments,
3 if Pillow is not installed (the benchmark checks for it before running).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from multiprocessing import Pool

try:
    from PIL import Image
except ImportError:
    print("Pillow is not installed: pip install pillow", file=sys.stderr)
    sys.exit(3)

EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}

# mkstemp creates its file readable by its owner only; the thumbnails get the
# permissions any new file would (0666 less the umask). Reading the umask
# means setting it, so do it once, at import, in each process.
UMASK = os.umask(0)
os.umask(UMASK)


def thumbnail_one(task: tuple[str, str, tuple[int, int], int]) -> tuple[str, str | None]:
    """Make one thumbnail; return (input, None) or (input, the error).

    Runs in a worker process. Every exception is caught here and returned as
    text: an exception escaping a pool task would reach the parent only when
    its result is collected, and would end the whole batch there.
    """
    source, out_dir, box, quality = task
    stem = os.path.splitext(os.path.basename(source))[0]
    final = os.path.join(out_dir, stem + ".jpg")
    tmp = None
    try:
        with Image.open(source) as img:
            # thumbnail() first calls img.draft(), which for a JPEG asks
            # libjpeg to decode at 1/2, 1/4 or 1/8 scale ("shrink on load"):
            # a 20-megapixel photo is never decoded at full size. Then it
            # resizes the rest of the way with Lanczos. It keeps the aspect
            # ratio and never enlarges.
            img.thumbnail(box, Image.Resampling.LANCZOS)
            # JPEG has no alpha channel and no palette.
            if img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            # Write under a temporary name in the same folder, then rename:
            # os.replace is atomic within one file system, so OUTPUT never
            # holds a half-written <stem>.jpg, even if the worker is killed.
            fd, tmp = tempfile.mkstemp(dir=out_dir, prefix="." + stem, suffix=".tmp")
            os.fchmod(fd, 0o666 & ~UMASK)
            with os.fdopen(fd, "wb") as f:
                img.save(f, format="JPEG", quality=quality)
            os.replace(tmp, final)
            tmp = None
        return source, None
    except Exception as e:  # noqa: BLE001 - any failure is this file's, not the batch's
        return source, f"{type(e).__name__}: {e}"
    finally:
        if tmp is not None:
            try:
                os.remove(tmp)
            except OSError:
                pass


def images_in(folder: str) -> list[str]:
    """The images directly in folder, sorted so that runs are repeatable."""
    names = sorted(os.listdir(folder))
    return [
        os.path.join(folder, name)
        for name in names
        if os.path.splitext(name)[1].lower() in EXTENSIONS
        and os.path.isfile(os.path.join(folder, name))
    ]


def box(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 512x512, got {text!r}")
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f"both sides must be at least 1, got {text!r}")
    return width, height


def quality(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be from 1 to 100, got {value}")
    return value


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def available_cores() -> int:
    # The CPUs this process may run on (taskset, cgroup cpusets), which can be
    # fewer than os.cpu_count() reports for the whole machine.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Thumbnail every JPEG/PNG/WebP in a folder with Pillow, "
        "one worker process per core.",
    )
    parser.add_argument(
        "--input", required=True, help="folder of images (not searched recursively)"
    )
    parser.add_argument(
        "--output", required=True, help="folder for the thumbnails (created if missing)"
    )
    parser.add_argument(
        "--resize", type=box, default=(512, 512), metavar="WxH",
        help="fit every thumbnail within this box (default: 512x512)",
    )
    parser.add_argument(
        "--quality", type=quality, default=85, help="JPEG quality, 1-100 (default: 85)"
    )
    parser.add_argument(
        "--jobs", type=positive, default=available_cores(),
        help="worker processes (default: the cores available, %(default)s here)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.path.isdir(args.input):
        print(f"error: {args.input} is not a folder", file=sys.stderr)
        return 2
    os.makedirs(args.output, exist_ok=True)
    # <stem>.jpg in the input folder itself would replace the original
    # JPEGs with their thumbnails: refuse, as the Rust tool does per file.
    if os.path.samefile(args.input, args.output):
        print("error: --output must not be the --input folder", file=sys.stderr)
        return 2
    began = time.perf_counter()
    sources = images_in(args.input)
    tasks = [(source, args.output, args.resize, args.quality) for source in sources]
    pool = Pool(processes=args.jobs)
    try:
        # chunksize=1: photos differ a lot in size, so hand them out one at a
        # time and let whichever worker is free take the next (the default
        # would give each worker a long run of files up front, and one worker
        # could end up with all the big ones).
        results = list(pool.imap_unordered(thumbnail_one, tasks, chunksize=1))
    finally:
        # close + join rather than the context manager's terminate(): the
        # workers exit on their own and are waited for, so their CPU time and
        # memory are accounted to this process's children.
        pool.close()
        pool.join()
    wall = time.perf_counter() - began
    failures = [{"input": source, "error": error} for source, error in results if error]
    summary = {
        "images": len(sources),
        "processed": len(sources) - len(failures),
        "failed": len(failures),
        "wall_s": round(wall, 6),
        "jobs": args.jobs,
        "failures": failures,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{summary['processed']} of {summary['images']} images thumbnailed in {wall:.2f} s "
            f"with {args.jobs} worker processes; {summary['failed']} failed"
        )
    for failure in failures:
        print(f"failed: {failure['input']}: {failure['error']}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
