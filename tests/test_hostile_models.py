"""Issue 13, model files and image folders: crafted files refused in bounded memory, with
a message instead of a traceback."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from capped import GB, cli_capped, refused_capped

from cs_nn.cli import main
from cs_nn.course.delivery import load_model, save_model
from cs_nn.data import DataFormatError, load_fer2013
from cs_nn.models import FullyConnectedNet

Image = pytest.importorskip("PIL.Image")


def _model_file(path: Path) -> Path:
    net = FullyConnectedNet([8], input_dim=36, num_classes=3, weight_scale=1.0, seed=0)
    return save_model(path, net, image_shape=(1, 6, 6), class_names=["a", "b", "c"])


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _header(members: dict[str, bytes]) -> dict:
    return json.loads(np.load(io.BytesIO(members["header.npy"])).tobytes())


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _write(path: Path, members: dict[str, bytes], header: dict | None = None) -> Path:
    if header is not None:
        members = {**members, "header.npy": _npy(np.frombuffer(json.dumps(header).encode(),
                                                               np.uint8))}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _crafted(tmp_path: Path, kind: str) -> Path:
    good = _model_file(tmp_path / "good.npz")
    members = _members(good)
    header = _header(members)
    meta = header["metadata"]
    if kind == "preprocessing_string":
        meta["preprocessing"] = "scale by 255"
    elif kind == "class_names_5":
        meta["class_names"] = 5
    elif kind == "deep_json":
        text = json.dumps(header)
        deep = text[:-1] + ', "x": ' + "[" * 200_000 + "]" * 200_000 + "}"
        members["header.npy"] = _npy(np.frombuffer(deep.encode(), np.uint8))
        return _write(tmp_path / f"{kind}.npz", members)
    elif kind == "not_npy_member":
        members["notes.txt"] = b"hello"
    elif kind == "huge_declared_shape":  # the JSON header claims 10**12 values
        header["params"][0]["shape"] = [10**6, 10**6]
    elif kind == "huge_npy_header":  # the .npy header inside the zip claims 10**12 values
        raw = members["p0.npy"]
        members["p0.npy"] = raw.replace(b"(36, 8)", b"(1000000, 1000000)")
    elif kind == "nan_weights":
        w = np.load(io.BytesIO(members["p0.npy"]))
        w[0, 0] = np.nan
        members["p0.npy"] = _npy(w)
        import hashlib

        header["params"][0]["sha256"] = hashlib.sha256(w.tobytes()).hexdigest()
    return _write(tmp_path / f"{kind}.npz", members, header)


CASES = {
    "preprocessing_string": "'preprocessing' must be a JSON object",
    "class_names_5": "'class_names' must be a list of strings",
    "deep_json": "nested too deeply",
    "not_npy_member": "'notes.txt' is not a .npy array",
    "huge_declared_shape": "declare more than",
    "huge_npy_header": "does not match its recorded dtype and shape",
    "nan_weights": "NaN or infinite values .*training diverged",
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_odd_model_files_are_refused_with_a_message(tmp_path, kind):
    """Cases 9, 13 and 16 (NaN weights blamed on the learning rate)."""
    path = _crafted(tmp_path, kind)
    with pytest.raises(ValueError, match=CASES[kind]):
        load_model(path)


@pytest.mark.parametrize("kind", ["huge_declared_shape", "huge_npy_header", "deep_json"])
def test_crafted_model_files_stay_under_a_1_gb_cap_in_predict(tmp_path, kind):
    path = _crafted(tmp_path, kind)
    (tmp_path / "imgs").mkdir()
    Image.fromarray(np.zeros((6, 6), np.uint8), "L").save(tmp_path / "imgs" / "a.png")
    r = cli_capped(["predict", str(tmp_path / "imgs"), "--model", str(path), "--out",
                    str(tmp_path / "p.csv")], limit=GB)
    assert r.returncode == 1 and not r.traceback, r.stderr
    assert "cs-nn predict: error:" in r.stderr and r.peak_mb < 300


def test_a_compression_bomb_member_is_refused_unread(tmp_path):
    """Case 9: a few-MB model whose member inflates to 1.6 GB cost that much before."""
    good = _model_file(tmp_path / "good.npz")
    members = _members(good)
    header = _header(members)
    n = 200_000_000  # float64: 1.6 GB of zeros, about 1.6 MB deflated
    header["params"][0]["shape"] = [n]
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.npy", _npy(np.frombuffer(json.dumps(header).encode(), np.uint8)))
        for name, data in members.items():
            if name not in ("header.npy", "p0.npy"):
                zf.writestr(name, data)
        with zf.open("p0.npy", "w", force_zip64=True) as f:
            head = _npy(np.zeros(0))[:-0 or None]
            f.write(head.replace(b"(0,)", f"({n},)".encode().ljust(4)))
            chunk = bytes(1 << 22)
            for _ in range(n * 8 // len(chunk)):
                f.write(chunk)
    assert bomb.stat().st_size < 20_000_000
    r = refused_capped("cs_nn.course.delivery import load_model", f"load_model({str(bomb)!r})")
    assert "REFUSED" in r.stdout and "compression bomb" in r.stdout, r.stderr
    assert not r.traceback and r.peak_mb < 300


def _png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A valid PNG header claiming width x height pixels, in a few hundred bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))
    return path


def test_predict_skips_a_png_bomb_and_lists_it_under_a_cap(tmp_path):
    """Case 11: DecompressionBombError aborted all of cs-nn predict."""
    model = _model_file(tmp_path / "m.npz")
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for i in range(3):
        Image.fromarray(np.full((6, 6), 40 * i, np.uint8), "L").save(imgs / f"ok{i}.png")
    _png_bomb(imgs / "bomb.png")
    _png_bomb(imgs / "big.png", 12_000, 12_000)  # Pillow only warns; over our limit
    (imgs / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    r = cli_capped(["predict", str(imgs), "--model", str(model), "--out",
                    str(tmp_path / "p.csv")], limit=GB)
    assert r.returncode == 0 and not r.traceback, r.stderr
    assert "wrote 3 predictions" in r.stdout
    for name in ("bomb.png: the image is too large", "big.png: 12000x12000 pixels is too",
                 "broken.jpg: cannot read image"):
        assert name in r.stderr
    assert r.peak_mb < 300


def test_fer_folders_refuse_a_png_bomb(tmp_path):
    for split in ("train", "test"):
        folder = tmp_path / "fer2013" / split / "happy"
        folder.mkdir(parents=True)
        Image.fromarray(np.zeros((48, 48), np.uint8), "L").save(folder / "a.png")
    _png_bomb(tmp_path / "fer2013" / "train" / "happy" / "b.png")
    with pytest.raises(DataFormatError, match="b.png: the image is too large to decode"):
        load_fer2013(tmp_path)


def test_output_paths_that_are_folders_or_files(tmp_path, capsys):
    """Case 12 for predict: --out a folder gets predictions.csv; a file in the way fails
    before the model is even read."""
    model = _model_file(tmp_path / "m.npz")
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    Image.fromarray(np.zeros((6, 6), np.uint8), "L").save(imgs / "a.png")
    (tmp_path / "dest").mkdir()
    assert main(["predict", str(imgs), "--model", str(model), "--out",
                 str(tmp_path / "dest")]) == 0
    assert (tmp_path / "dest" / "predictions.csv").is_file()
    (tmp_path / "afile").write_text("mine")
    assert main(["predict", str(imgs), "--model", str(tmp_path / "missing.npz"), "--out",
                 str(tmp_path / "afile" / "p.csv")]) == 1
    assert "is a file, so no folder can be created" in capsys.readouterr().err
    assert main(["predict", str(imgs / "a.png"), "--model", str(model)]) == 1
    assert "it is a file" in capsys.readouterr().err
    assert main(["predict", str(imgs), "--model", str(tmp_path)]) == 1
    assert "is a folder, not a model file" in capsys.readouterr().err
