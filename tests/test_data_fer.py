"""FER2013 loader on small csv files and image folders written by the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cs_nn.data import DataFormatError, DatasetNotFoundError, _files, load_fer2013

Image = pytest.importorskip("PIL.Image")

CLASSES = ["Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(_files, "_open_url", lambda url, timeout: pytest.fail(f"online: {url}"))


def make_rows(usages: list[str], seed: int = 0) -> list[tuple[int, np.ndarray, str]]:
    rng = np.random.default_rng(seed)
    return [(int(rng.integers(0, 7)), rng.integers(0, 256, 48 * 48), u) for u in usages]


def write_csv(root: Path, rows, header="emotion,pixels,Usage", order=(0, 1, 2)) -> Path:
    path = root / "fer2013" / "fer2013.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header]
    for emotion, pixels, usage in rows:
        fields = [str(emotion), " ".join(str(int(v)) for v in pixels), usage]
        lines.append(",".join(fields[i] for i in order))
    path.write_text("\n".join(lines) + "\n")
    return path


def expected(rows, usage):
    sel = [r for r in rows if r[2] == usage]
    X = np.array([r[1] for r in sel], dtype=np.float64).reshape(-1, 1, 48, 48) / 255
    return X.astype(np.float32), np.array([r[0] for r in sel], dtype=np.int64)


USAGES = ["Training"] * 5 + ["PublicTest"] * 2 + ["PrivateTest"] * 3


def test_csv_values_and_splits(tmp_path):
    rows = make_rows(USAGES)
    write_csv(tmp_path, rows)
    data = load_fer2013(tmp_path)
    for split, usage in (("train", "Training"), ("val", "PublicTest"), ("test", "PrivateTest")):
        X, y = expected(rows, usage)
        assert data[f"X_{split}"].dtype == np.float32 and data[f"y_{split}"].dtype == np.int64
        np.testing.assert_allclose(data[f"X_{split}"], X, rtol=0, atol=1e-7)
        np.testing.assert_array_equal(data[f"y_{split}"], y)
    assert data["X_train"].shape == (5, 1, 48, 48)
    assert data["class_names"] == CLASSES and data["info"]["layout"] == "csv"


def test_gzipped_csv_gives_the_same_arrays(tmp_path):
    import gzip

    rows = make_rows(USAGES, seed=3)
    plain = write_csv(tmp_path / "plain", rows)
    packed = tmp_path / "packed" / "fer2013" / "fer2013.csv.gz"
    packed.parent.mkdir(parents=True)
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = load_fer2013(tmp_path / "plain"), load_fer2013(tmp_path / "packed")
    assert b["info"]["source"].endswith("fer2013.csv.gz")
    for key in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(a[key], b[key])


def test_csv_other_column_order_and_spaced_header(tmp_path):
    rows = make_rows(["Training", "PrivateTest", "Training"], seed=1)
    write_csv(tmp_path, rows, header="emotion, Usage, pixels", order=(0, 2, 1))
    data = load_fer2013(tmp_path)
    np.testing.assert_array_equal(data["y_train"], expected(rows, "Training")[1])
    assert data["X_val"].shape == (0, 1, 48, 48)


def test_csv_limits(tmp_path):
    rows = make_rows(USAGES, seed=2)
    write_csv(tmp_path, rows)
    data = load_fer2013(tmp_path, num_train=2, num_val=0, num_test=1)
    X, y = expected(rows, "Training")
    np.testing.assert_array_equal(data["y_train"], y[:2])
    np.testing.assert_allclose(data["X_train"], X[:2], atol=1e-7)
    assert data["X_val"].shape[0] == 0 and data["X_test"].shape[0] == 1


def bad_csv(tmp_path, line: str, header="emotion,pixels,Usage") -> Path:
    good = make_rows(["Training"])[0]
    ok = f"{good[0]},{' '.join(map(str, good[1]))},Training"
    path = tmp_path / "fer2013" / "fer2013.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{header}\n{ok}\n{line}\n")
    return tmp_path


PIX = " ".join(["7"] * 2304)


@pytest.mark.parametrize("line, match", [
    ("3," + " ".join(["7"] * 2300) + ",Training", "line 3: 'pixels' must hold 2304"),
    ("3," + PIX + " x,Training", "line 3: 'pixels'"),
    ("3," + PIX.replace("7", "300", 1) + ",Training", "line 3: pixel values"),
    ("9," + PIX + ",Training", "line 3: emotion must be an integer 0..6"),
    ("happy," + PIX + ",Training", "line 3: emotion"),
    ("3," + PIX + ",Validation", "line 3: Usage must be"),
    ("3," + PIX, "line 3: expected 3 fields"),
])
def test_malformed_csv_rows(tmp_path, line, match):
    with pytest.raises(DataFormatError, match=match):
        load_fer2013(bad_csv(tmp_path, line))


def test_csv_without_labels_column(tmp_path):
    root = bad_csv(tmp_path, "", header="pixels,Usage")
    with pytest.raises(DataFormatError, match="emotion"):
        load_fer2013(root)


# ---------------------------------------------------------------- image folders


def write_png(path: Path, pixels: np.ndarray, mode: str = "L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = pixels if mode == "L" else np.repeat(pixels[..., None], 3, axis=2)  # gray as RGB
    Image.fromarray(img.astype(np.uint8), mode=None).save(path)


def make_folders(root: Path, layout: dict[str, dict[str, int]], seed=0) -> dict:
    rng = np.random.default_rng(seed)
    written = {}
    for split, classes in layout.items():
        for cls, count in classes.items():
            for i in range(count):
                pixels = rng.integers(0, 256, (48, 48))
                mode = "RGB" if i % 2 else "L"
                write_png(root / "fer2013" / split / cls / f"im{i:03d}.png", pixels, mode)
                written.setdefault(split, []).append((CLASSES.index(cls.capitalize()), pixels))
    return written


def test_folders_values_and_labels_by_name(tmp_path):
    written = make_folders(tmp_path, {"train": {"happy": 3, "angry": 2, "Neutral": 1},
                                      "test": {"sad": 2}})
    data = load_fer2013(tmp_path)
    assert data["info"]["layout"] == "folders" and "X_val" not in data
    train = sorted(written["train"], key=lambda t: t[0])  # label order (stable: file order)
    assert data["y_train"].tolist() == [label for label, _ in train] == [0, 0, 3, 3, 3, 6]
    expected_X = np.stack([p for _, p in train])[:, None] / np.float32(255)
    np.testing.assert_allclose(data["X_train"], expected_X.astype(np.float32), atol=1e-7)
    assert data["y_test"].tolist() == [4, 4] and data["X_test"].dtype == np.float32


def test_folders_with_validation_and_limits(tmp_path):
    make_folders(tmp_path, {"train": {"happy": 4, "fear": 4}, "validation": {"surprise": 1},
                            "test": {"disgust": 1}})
    data = load_fer2013(tmp_path, num_train=4)
    assert data["y_val"].tolist() == [5]
    assert sorted(data["y_train"].tolist()) == [2, 2, 3, 3]  # spread over both classes


def test_auto_prefers_csv_and_layout_can_force_folders(tmp_path):
    write_csv(tmp_path, make_rows(["Training", "PrivateTest"]))
    make_folders(tmp_path, {"train": {"happy": 1}, "test": {"sad": 1}})
    assert load_fer2013(tmp_path)["info"]["layout"] == "csv"
    assert load_fer2013(tmp_path, layout="folders")["y_train"].tolist() == [3]
    with pytest.raises(ValueError, match="layout"):
        load_fer2013(tmp_path, layout="zip")


def test_folder_errors(tmp_path):
    make_folders(tmp_path, {"train": {"happy": 1}, "test": {"sad": 1}})
    bad = tmp_path / "fer2013" / "train" / "happy" / "big.png"
    write_png(bad, np.zeros((50, 48)))
    with pytest.raises(DataFormatError, match="big.png: the image is 48x50, expected 48x48"):
        load_fer2013(tmp_path)
    bad.unlink()
    (tmp_path / "fer2013" / "train" / "happy" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataFormatError, match="broken.png: cannot read image"):
        load_fer2013(tmp_path)
    (tmp_path / "fer2013" / "train" / "happy" / "broken.png").unlink()
    (tmp_path / "fer2013" / "train" / "joyful").mkdir()
    with pytest.raises(DataFormatError, match="unknown class folder 'joyful'"):
        load_fer2013(tmp_path)


def test_folders_need_test_split(tmp_path):
    make_folders(tmp_path, {"train": {"happy": 1}})
    with pytest.raises(DataFormatError, match="train/ and test/"):
        load_fer2013(tmp_path)


def test_not_found_explains_kaggle(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="(?s)fer2013.csv.*Kaggle"):
        load_fer2013(tmp_path, download=True)


def test_gzip_csv_is_found_and_streamed(tmp_path):
    import gzip

    rows = make_rows(USAGES, seed=3)
    plain = write_csv(tmp_path / "plain", rows)
    gz = tmp_path / "gz" / "fer2013" / "fer2013.csv.gz"
    gz.parent.mkdir(parents=True)
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    data = load_fer2013(tmp_path / "gz")
    assert data["info"]["source"] == str(gz)
    ref = load_fer2013(tmp_path / "plain")
    for key in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(data[key], ref[key])
    limited = load_fer2013(tmp_path / "gz", num_train=1, num_val=1, num_test=1, layout="csv")
    assert [limited[f"y_{s}"].size for s in ("train", "val", "test")] == [1, 1, 1]


def test_plain_csv_is_preferred_to_gzip(tmp_path):
    import gzip

    plain = write_csv(tmp_path, make_rows(["Training", "PrivateTest"], seed=4))
    (plain.parent / "fer2013.csv.gz").write_bytes(gzip.compress(b"not, the, file\n"))
    assert load_fer2013(tmp_path)["info"]["source"] == str(plain)
