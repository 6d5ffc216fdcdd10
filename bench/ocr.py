"""Document OCR on generated documents: field accuracy and seconds per document, on one core.

    .venv/bin/python bench/ocr.py [--sets 10] [--photos] [--threads 1] [--tiny]

Each set is one applicant's six documents (ID card both sides, driving licence, 行驶证, the
purchase invoice, a bank card; origination.ocr.samples) drawn with the Noto Sans CJK font;
``--photos`` adds a photographed-style copy of each (off-centre on a table, turned, uneven
light, blur, JPEG noise). Every document goes through the production path's pieces
(origination.ocr.engine.ocr_read, then the kind's parser) and each field the document shows is
compared with what the parser returned. Prints fields right per kind and overall (target
≥ 95 %), seconds per document (mean, p95; target ≤ 2 s on one core: ``--threads 1``), the model
load time, and the perceptual-hash figures of the near-duplicate check: a photo re-encoded and
cropped caught at the rule's distance, and pairs of different documents of the same kind
within it (false alarms).

No database, no network: the models ship inside the rapidocr-onnxruntime wheel.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import load_average, percentile  # noqa: E402
from django.conf import settings  # noqa: E402

MAX_DISTANCE = 8  # the rule's default (risk.rules.DOCUMENT_RULES, F07)
TARGET_ACCURACY = 95.0
TARGET_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=10, help="document sets (6 documents each)")
    parser.add_argument("--photos", action="store_true", help="add a photographed copy of each")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tiny", action="store_true", help="CI: one set, photos included")
    args = parser.parse_args()
    if args.tiny:
        args.sets, args.photos = 1, True
    settings.configure(OCR_THREADS=args.threads, USE_I18N=False)

    from PIL import Image  # noqa: PLC0415 - after settings

    from origination.ocr import engine, forensics, parsers, samples  # noqa: PLC0415

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, {engine.engine_version()}, "
        f"threads {args.threads}"
    )
    started = time.perf_counter()
    engine.ocr_read(Image.new("RGB", (64, 32), (255, 255, 255)))
    print(f"model load (first call): {time.perf_counter() - started:.2f} s")

    rng = random.Random(args.seed)
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    seconds: list[float] = []
    wrong: list[str] = []
    hashes: list[tuple[int, str, str]] = []
    near: list[int] = []
    for n in range(args.sets):
        for doc in samples.document_set(args.seed + n, expired_id=n % 5 == 4):
            variants = [("clean", doc)]
            if args.photos:
                variants.append(("photo", samples.photographed(doc, rng)))
            for label, sample in variants:
                data = sample.jpeg()
                t = time.perf_counter()
                with Image.open(io.BytesIO(data)) as image:
                    got = parsers.PARSERS[sample.kind](engine.ocr_read(image))
                seconds.append(time.perf_counter() - t)
                for key, value in sample.fields.items():
                    total[sample.kind] += 1
                    if got.get(key) == value:
                        right[sample.kind] += 1
                    else:
                        wrong.append(
                            f"{sample.kind}.{key} ({label}): {value!r} read {got.get(key)!r}"
                        )
                if label == "photo":
                    h = forensics.perceptual_hash(Image.open(io.BytesIO(data)))
                    hashes.append((n, sample.kind, h))
                    again = forensics.perceptual_hash(
                        Image.open(io.BytesIO(samples.near_duplicate(data)))
                    )
                    near.append(forensics.hamming(h, again))

    print(
        f"documents: {len(seconds)} ({args.sets} sets{', clean + photographed' if args.photos else ''})"
    )
    print(f"{'kind':<18}{'fields':>8}{'right':>8}{'%':>8}")
    for kind in total:
        print(f"{kind:<18}{total[kind]:>8}{right[kind]:>8}{100 * right[kind] / total[kind]:>8.1f}")
    accuracy = 100 * sum(right.values()) / max(sum(total.values()), 1)
    print(
        f"fields right: {sum(right.values())}/{sum(total.values())} = {accuracy:.1f}% "
        f"({'meets' if accuracy >= TARGET_ACCURACY else 'MISSES'} the {TARGET_ACCURACY:.0f}% target)"
    )
    mean = sum(seconds) / len(seconds)
    print(
        f"seconds per document: mean {mean:.2f}, p95 {percentile(seconds, 0.95):.2f}, "
        f"max {max(seconds):.2f} ({'meets' if mean <= TARGET_SECONDS else 'MISSES'} "
        f"the {TARGET_SECONDS:.0f} s target)"
    )
    for line in wrong[:20]:
        print(f"  wrong: {line}")
    if near:
        caught = sum(1 for d in near if d <= MAX_DISTANCE)
        pairs = [
            forensics.hamming(a[2], b[2])
            for i, a in enumerate(hashes)
            for b in hashes[i + 1 :]
            if a[1] == b[1] and a[0] != b[0]
        ]
        false = sum(1 for d in pairs if d <= MAX_DISTANCE)
        print(
            f"near-duplicates (re-encoded, cropped) caught at ≤ {MAX_DISTANCE} bits: "
            f"{caught}/{len(near)}; different same-kind photos within it: {false}/{len(pairs)}"
        )
    print(f"load average at end {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
