"""FER2013 (48x48 grayscale faces, 7 emotions) from its csv file or an image-folder layout.

* csv (Kaggle's ``fer2013.csv``, or ``fer2013.csv.gz``): columns ``emotion`` (0..6),
  ``pixels`` (2304 space-separated values 0..255, row by row) and ``Usage``
  (``Training`` / ``PublicTest`` / ``PrivateTest``).
  Column order and spaces around header names do not matter.
* folders: ``<root>/fer2013/{train,test}/<class_name>/*.png|jpg`` (an optional ``val`` or
  ``validation`` folder too); class folders are matched to labels by name, case-insensitively.

FER2013 has no automatic download (it is distributed through Kaggle after login).
"""

from __future__ import annotations

import csv
import gzip
import os
import warnings
from pathlib import Path

import numpy as np

from ._files import DataFormatError, not_found_error, search_roots

FER2013_CLASSES = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")
FER_SUBDIR = "fer2013"
#: The csv as Kaggle ships it, or gzip-compressed (the shared data folder's copy).
CSV_NAMES = ("fer2013.csv", "fer2013.csv.gz")
IMAGE_SIZE = 48
_USAGE = {"training": "train", "publictest": "val", "privatetest": "test"}
_FOLDER_SPLITS = {"train": "train", "val": "val", "validation": "val", "test": "test"}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
_HINT = ("FER2013 cannot be downloaded automatically: get fer2013.csv from Kaggle "
         "(challenges-in-representation-learning-facial-expression-recognition-challenge) "
         "or an image-folder copy with train/ and test/ sub-folders")


def _parse_pixels(text: str, path, line: int) -> np.ndarray:
    want = IMAGE_SIZE * IMAGE_SIZE
    with warnings.catch_warnings(record=True) as caught:  # older numpy warns, newer raises
        warnings.simplefilter("always")
        try:
            values = np.fromstring(text, dtype=np.int64, sep=" ")
        except ValueError:
            values = None
    if caught or values is None or values.size != want:
        raise DataFormatError(f"{path}, line {line}: 'pixels' must hold {want} integers "
                              f"separated by spaces, got {len(text.split())} value(s) "
                              f"starting {text[:30]!r}")
    if values.min() < 0 or values.max() > 255:
        raise DataFormatError(f"{path}, line {line}: pixel values must lie in 0..255")
    return values.astype(np.uint8)


def read_fer_csv(path: str | os.PathLike, limits: dict[str, int | None] | None = None) -> dict:
    """Parse a FER2013 csv (or .csv.gz) -> {"train"|"val"|"test": (uint8 (N, 48, 48), labels)}.

    ``limits`` maps a split to the number of rows to keep (the first ones in file order);
    rows beyond a limit are not parsed. Malformed rows raise ``DataFormatError`` naming the
    file and line.
    """
    limits = limits or {}
    rows: dict[str, tuple[list, list]] = {s: ([], []) for s in ("train", "val", "test")}
    opener = gzip.open if str(path).endswith(".gz") else open  # .csv.gz is streamed
    with opener(path, "rt", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = {"emotion", "pixels", "usage"} - set(header)
        if missing:
            raise DataFormatError(f"{path}: header {header} lacks column(s) {sorted(missing)}; "
                                  "expected emotion,pixels,Usage (the labelled fer2013.csv)")
        i_emo, i_pix, i_use = (header.index(c) for c in ("emotion", "pixels", "usage"))
        for fields in reader:
            if not fields:
                continue
            line = reader.line_num
            if len(fields) != len(header):
                raise DataFormatError(f"{path}, line {line}: expected {len(header)} fields, "
                                      f"got {len(fields)}")
            split = _USAGE.get(fields[i_use].strip().lower())
            if split is None:
                raise DataFormatError(f"{path}, line {line}: Usage must be Training, PublicTest "
                                      f"or PrivateTest, got {fields[i_use]!r}")
            images, labels = rows[split]
            limit = limits.get(split)
            if limit is not None and len(labels) >= limit:
                continue
            try:
                label = int(fields[i_emo])
            except ValueError:
                label = -1
            if not 0 <= label < len(FER2013_CLASSES):
                raise DataFormatError(f"{path}, line {line}: emotion must be an integer 0..6, "
                                      f"got {fields[i_emo]!r}")
            images.append(_parse_pixels(fields[i_pix], path, line))
            labels.append(label)
    return {s: _stack(images, labels) for s, (images, labels) in rows.items()}


def _stack(images: list, labels: list) -> tuple[np.ndarray, np.ndarray]:
    x = np.stack(images) if images else np.zeros((0, IMAGE_SIZE * IMAGE_SIZE), np.uint8)
    return x.reshape(-1, IMAGE_SIZE, IMAGE_SIZE), np.asarray(labels, dtype=np.int64)


def _list_folder_split(folder: Path) -> tuple[list[Path], np.ndarray]:
    by_name = {c.lower(): i for i, c in enumerate(FER2013_CLASSES)}
    files, labels = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        label = by_name.get(sub.name.lower())
        if label is None:
            raise DataFormatError(f"{sub}: unknown class folder {sub.name!r}; expected one of "
                                  f"{[c.lower() for c in FER2013_CLASSES]}")
        imgs = sorted(p for p in sub.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        files += imgs
        labels += [label] * len(imgs)
    order = np.argsort(labels, kind="stable")  # label order, then file name
    return [files[i] for i in order], np.asarray(labels, dtype=np.int64)[order]


def read_fer_folders(folder: str | os.PathLike,
                     limits: dict[str, int | None] | None = None) -> dict:
    """Read ``folder/{train,[val|validation],test}/<class>/*`` -> {split: (uint8 (N,48,48), y)}.

    Images are converted to grayscale with Pillow and must be 48x48. ``limits`` keeps an
    evenly spread subset of n files per split (so every class is represented), in label order.
    """
    from PIL import Image  # lazy: Pillow is only needed for this layout

    limits = limits or {}
    out = {}
    for sub in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        split = _FOLDER_SPLITS.get(sub.name.lower())
        if split is None:
            continue
        files, labels = _list_folder_split(sub)
        limit = limits.get(split)
        if limit is not None and limit < len(files):
            pick = (np.arange(limit) * len(files)) // limit  # evenly spread, increasing
            files, labels = [files[i] for i in pick], labels[pick]
        images = []
        for path in files:
            try:
                with Image.open(path) as img:
                    arr = np.asarray(img.convert("L"), dtype=np.uint8)
            except OSError as exc:
                raise DataFormatError(f"{path}: cannot read image ({exc})") from exc
            if arr.shape != (IMAGE_SIZE, IMAGE_SIZE):
                raise DataFormatError(f"{path}: FER2013 images are {IMAGE_SIZE}x{IMAGE_SIZE}, "
                                      f"got {arr.shape[1]}x{arr.shape[0]}")
            images.append(arr)
        out[split] = _stack(images, labels)
    if "train" not in out or "test" not in out:
        raise DataFormatError(f"{folder}: the image-folder layout needs train/ and test/ "
                              f"sub-folders, found {sorted(out)}")
    return out


def load_fer2013(root: str | os.PathLike | None = None, *, download: bool = False,
                 num_train: int | None = None, num_val: int | None = None,
                 num_test: int | None = None, layout: str = "auto") -> dict:
    """Load FER2013 from ``<root>/fer2013/fer2013.csv[.gz]`` or ``<root>/fer2013/{train,test}/``.

    ``layout``: "csv", "folders" or "auto" (the csv if present, else the folders).
    ``download`` is accepted for a uniform signature, but FER2013 has no automatic download.

    Returns a dict: ``X_train``, ``X_test`` (N, 1, 48, 48) float32 in [0, 1]; ``y_train``,
    ``y_test`` int64 in 0..6; from the csv also ``X_val``, ``y_val`` (the PublicTest rows;
    ``X_test`` is PrivateTest), from folders only if a val/ folder exists; ``class_names``
    (Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral); ``info`` (layout and source path).
    """
    if layout not in ("auto", "csv", "folders"):
        raise ValueError(f"layout must be 'auto', 'csv' or 'folders', got {layout!r}")
    for name, value in (("num_train", num_train), ("num_val", num_val), ("num_test", num_test)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"{name} must be a non-negative int or None, got {value!r}")
    limits = {"train": num_train, "val": num_val, "test": num_test}
    for r in search_roots(root):
        base = r / FER_SUBDIR
        csv_file = next((base / n for n in CSV_NAMES if (base / n).is_file()), None)
        if layout in ("auto", "csv") and csv_file is not None:
            source, chosen = csv_file, "csv"
            splits = read_fer_csv(source, limits)
            break
        if layout in ("auto", "folders") and (base / "train").is_dir():
            source, chosen = base, "folders"
            splits = read_fer_folders(base, limits)
            break
    else:
        names = {"auto": [*CSV_NAMES, "train/<class>/"], "csv": list(CSV_NAMES),
                 "folders": ["train/<class>/"]}[layout]
        raise not_found_error("FER2013", FER_SUBDIR, names, root, (), _HINT)
    out: dict = {}
    for split, (images, labels) in splits.items():
        out[f"X_{split}"] = images[:, None].astype(np.float32) / np.float32(255.0)  # (N,1,48,48)
        out[f"y_{split}"] = labels
    out["class_names"] = list(FER2013_CLASSES)
    out["info"] = {"dataset": "fer2013", "layout": chosen, "source": str(source)}
    return out
