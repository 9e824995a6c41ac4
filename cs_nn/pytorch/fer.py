"""Seed 000 Q6: the FER2013 CNN behind ``test_deep_fer_model(img_folder, model=PATH)``.

The shipped model (``weights/fer_cnn.npz``) is a :class:`~cs_nn.pytorch.cnn.SmallCNN` with
:data:`~cs_nn.pytorch.cnn.FER_CONFIG`, made by::

    CS_NN_DATA=../shared/data python benchmarks/accuracy_torch.py --dataset fer2013 \\
        --augment --epochs 50 --weight-decay 1e-4 --patience 12 --threads 1 --save runs/fer

(the same run as ``cs-nn train --framework torch --dataset fer2013 --model cnn --augment
--epochs 50 --batch-size 64 --reg 1e-4 --patience 12 --threads 1``), then copied here. Its
metadata records the exact command, config, the preprocessing and the accuracies (PrivateTest
0.6486, macro F1 0.583; best PublicTest 0.6361 at epoch 45 of 50; 1853 s on one CPU thread).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cs_nn.course.delivery import load_images
from cs_nn.pytorch.jobs import prepare_pixels
from cs_nn.pytorch.loop import predict
from cs_nn.pytorch.saving import ModelFileError, load_model

NOTEBOOK = "13_pytorch_convnets"
DEFAULT_FER_MODEL = Path(__file__).resolve().parent / "weights" / "fer_cnn.npz"


def test_deep_fer_model(img_folder: str | os.PathLike[str],
                        model: str | os.PathLike[str] = DEFAULT_FER_MODEL) -> np.ndarray:
    """Predict the facial expression of every image in a folder with a saved PyTorch CNN.

    Args:
        img_folder: folder of PNG / JPEG face images (any size: they are converted to 48x48
            grayscale), read in sorted file-name order.
        model: a model file written by :func:`cs_nn.pytorch.saving.save_model` with FER2013
            preprocessing in its metadata; default the course's trained FER2013 CNN (held
            back from the learner release: learners pass their own).

    Returns:
        preds: (N,) int64 numpy vector of class indices 0..6 (Angry, Disgust, Fear, Happy,
        Sad, Surprise, Neutral), one per image.
    """
    if Path(model) == DEFAULT_FER_MODEL and not DEFAULT_FER_MODEL.is_file():
        raise FileNotFoundError(
            f"no FER2013 model file at {DEFAULT_FER_MODEL}: the course's trained CNN is not part "
            "of the learner release (seed 000 asks you to train and hand in your own). Save "
            "yours with cs_nn.pytorch.saving.save_model (notebook 13, section 3) or train one "
            "with `cs-nn train --framework torch --dataset fer2013 --model cnn` (it writes "
            "runs/.../model.npz), then call "
            "test_deep_fer_model(img_folder, model=\"path/to/your_model.npz\")")
    net, metadata = load_model(model)
    prep = metadata.get("preprocessing")
    if not prep or "image_shape" not in prep:
        raise ModelFileError(f"{model} holds no preprocessing record (mean, std, image "
                             "shape); save FER models with cs_nn.pytorch.jobs.save_torch_run")
    pixels, _ = load_images(img_folder, prep["image_shape"])  # (N, 1, 48, 48) uint8
    return predict(net, prepare_pixels(pixels, prep))
