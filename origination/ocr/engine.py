"""The OCR engine: RapidOCR on ONNX Runtime with the PP-OCR models that ship inside the
``rapidocr-onnxruntime`` wheel (nothing is downloaded at run time). Loaded once per process on
first use (about 0.4 s) and shared; one document at a time per process (the engine is not
thread-safe), on ``OCR_THREADS`` threads (one by default: a worker is one core).

``ocr_read`` returns the text as rows, top to bottom, each row's boxes joined left to right
without spaces: the parsers read labels and values from rows, whatever way the detector cut
them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps

ENGINE_NAME = "rapidocr-onnxruntime"
MAX_SIDE_PX = 1280  # larger photos are scaled down first: the text stays readable, time halves

_lock = threading.Lock()
_engine = None


def engine_version() -> str:
    """What read a document, stored with its fields (``rapidocr-onnxruntime 1.4.4``)."""
    return f"{ENGINE_NAME} {version(ENGINE_NAME)}"


def _get():
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - 0.4 s: only where OCR runs

        threads = int(settings.OCR_THREADS)
        _engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
    return _engine


@dataclass(frozen=True)
class Box:
    text: str
    score: float
    x: float
    y: float
    height: float


def _prepare(image: Image.Image) -> np.ndarray:
    image = ImageOps.exif_transpose(image).convert("RGB")
    if max(image.size) > MAX_SIDE_PX:
        image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    return np.asarray(image)


def ocr_boxes(image: Image.Image) -> list[Box]:
    with _lock:
        result, _elapsed = _get()(_prepare(image))
    boxes = []
    for quad, text, score in result or []:
        ys = [pt[1] for pt in quad]
        boxes.append(
            Box(
                text=str(text),
                score=float(score),
                x=min(pt[0] for pt in quad),
                y=sum(ys) / 4,
                height=max(ys) - min(ys),
            )
        )
    return boxes


def rows_of(boxes: list[Box]) -> list[str]:
    """Boxes grouped into rows (centres within half a box height), each row left to right,
    spaces dropped."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.y):
        if rows and abs(rows[-1][-1].y - box.y) < 0.5 * max(box.height, rows[-1][-1].height):
            rows[-1].append(box)
        else:
            rows.append([box])
    return [
        "".join(b.text for b in sorted(row, key=lambda b: b.x)).replace(" ", "") for row in rows
    ]


def ocr_read(image: Image.Image) -> list[str]:
    return rows_of(ocr_boxes(image))
