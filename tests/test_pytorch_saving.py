"""cs_nn.pytorch.saving: round trips without pickle, refusal of files that are not ours."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cs_nn.pytorch.cnn import FASHION_CONFIG, SmallCNN  # noqa: E402
from cs_nn.pytorch.device import seeded  # noqa: E402
from cs_nn.pytorch.mlp import MLP  # noqa: E402
from cs_nn.pytorch.preact import PreActConvNet  # noqa: E402
from cs_nn.pytorch.saving import (  # noqa: E402
    HEADER_KEY,
    ModelFileError,
    load_model,
    read_record,
    save_model,
)


def _trained_cnn() -> SmallCNN:
    with seeded(0):
        net = SmallCNN(**dict(FASHION_CONFIG, channels=[4, 8], hidden_dim=16))
    net.train()
    net(torch.randn(8, 1, 28, 28))  # moves the BatchNorm running averages off their start
    return net.eval()


@pytest.mark.parametrize("make", [_trained_cnn, lambda: MLP(6, [5], 3),
                                  lambda: PreActConvNet(3, 4)])
def test_round_trip_equal_outputs(tmp_path, make):
    net = make().eval()
    path = save_model(tmp_path / "m.npz", net, metadata={"class_names": ["a", "b"]})
    loaded, meta = load_model(path)
    assert meta == {"class_names": ["a", "b"]}
    assert not loaded.training
    for key, value in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    shape = (3, 6) if isinstance(net, MLP) else (
        (2, 1, 28, 28) if isinstance(net, SmallCNN) else (2, 3, 32, 32))
    X = torch.randn(*shape)
    with torch.no_grad():
        assert torch.equal(loaded(X), net(X))


def test_the_file_holds_no_pickle(tmp_path):
    path = save_model(tmp_path / "m.npz", MLP(4, [3], 2))
    with np.load(path, allow_pickle=False) as npz:  # would raise on any object array
        record = json.loads(npz[HEADER_KEY].tobytes())
        assert all(npz[k].dtype != object for k in npz.files)
    assert record["architecture"] == {"class": "MLP", "config": MLP(4, [3], 2).config}


def test_refuses_a_torch_save_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    torch.save(MLP(4, [3], 2).state_dict(), path)
    with pytest.raises(ModelFileError, match="torch.save checkpoint.*never unpickles"):
        load_model(path)


def test_refuses_random_bytes_and_other_npz(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x00not a zip at all" * 10)
    with pytest.raises(ModelFileError, match="not a cs_nn PyTorch model file"):
        load_model(junk)
    other = tmp_path / "other.npz"
    np.savez(other, W1=np.zeros(3))
    with pytest.raises(ModelFileError, match="no cs_nn architecture record"):
        load_model(other)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npz")


def _rewrite(path, change) -> None:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    record = json.loads(arrays[HEADER_KEY].tobytes())
    change(record, arrays)
    arrays[HEADER_KEY] = np.frombuffer(json.dumps(record).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize("change, match", [
    (lambda r, a: r.update(format="something.else"), "another format"),
    (lambda r, a: r.update(version=99), "version 99"),
    (lambda r, a: r["architecture"].update({"class": "Evil"}), "unknown architecture"),
    (lambda r, a: r["architecture"]["config"].update(n_hidden=[7]), "shape"),
    (lambda r, a: a.pop("state/layers.0.bias"), "missing"),
    (lambda r, a: r["architecture"]["config"].update(bogus=1), "not valid"),
])
def test_refuses_inconsistent_files(tmp_path, change, match):
    path = save_model(tmp_path / "m.npz", MLP(4, [3], 2))
    _rewrite(path, change)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_save_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match=".npz"):
        save_model(tmp_path / "m.pt", MLP(4, [3], 2))
    with pytest.raises(TypeError, match="course's models"):
        save_model(tmp_path / "m.npz", torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="JSON"):
        save_model(tmp_path / "m.npz", MLP(4, [3], 2), metadata={"x": object()})
    assert not (tmp_path / "m.npz").exists()  # nothing half-written


def test_read_record_does_not_build(tmp_path):
    path = save_model(tmp_path / "m.npz", MLP(4, [3], 2), metadata={"k": 1})
    record, state = read_record(path)
    assert record["metadata"] == {"k": 1} and set(state) == set(MLP(4, [3], 2).state_dict())
    assert zipfile.is_zipfile(path)
