"""``cs-nn predict FOLDER --model PATH``: predict every image of a folder with a saved model."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from cs_nn._util.files import check_writable
from cs_nn.commands import print_table
from cs_nn.course.delivery import load_bundle, predict_folder
from cs_nn.io import write_csv

NAME = "predict"
HELP = "predict the class of every PNG / JPEG image in a folder with a model saved by save_model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", metavar="FOLDER", help="folder of PNG / JPEG images")
    parser.add_argument("--model", metavar="PATH", required=True,
                        help="model file written by cs_nn.course.delivery.save_model (.npz)")
    parser.add_argument("--out", metavar="CSV", default="predictions.csv",
                        help="where to write one prediction per line, images in sorted "
                             "file-name order; a folder gets predictions.csv inside it "
                             "(default: predictions.csv)")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    out = Path(args.out)
    if out.is_dir():  # a folder: the default name inside it
        out = out / "predictions.csv"
    check_writable(out, "--out")  # before any work, not after it
    bundle = load_bundle(args.model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        preds, names = predict_folder(args.folder, bundle, return_files=True)
    for w in caught:
        print(f"cs-nn predict: warning: {w.message}", file=sys.stderr)
    path = write_csv(out, preds)
    counts = np.bincount(preds, minlength=bundle.num_classes)
    class_names = bundle.class_names or [str(c) for c in range(counts.shape[0])]
    print_table(["class", "name", "count"],
                [(c, class_names[c] if c < len(class_names) else "?", int(n))
                 for c, n in enumerate(counts)])
    print(f"\nwrote {preds.shape[0]} predictions to {path} (one per line, in the order "
          f"{names[0]} ... {names[-1]})")
    return 0
