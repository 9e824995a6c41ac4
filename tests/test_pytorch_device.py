"""cs_nn.pytorch.device: device selection and seeded blocks."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from cs_nn.pytorch.device import DeviceError, seeded, select_device  # noqa: E402


def test_auto_picks_cuda_only_when_present():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device().type == expected
    assert select_device("auto").type == expected
    assert select_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_cuda_request_without_cuda_is_a_clear_error(name):
    with pytest.raises(DeviceError, match="CUDA is not available.*device='cpu'"):
        select_device(name)


@pytest.mark.parametrize("name", ["gpu", "tpu", "mps:3"])
def test_unknown_devices(name):
    with pytest.raises(ValueError):
        select_device(name)


def test_seeded_repeats_and_restores_the_global_generator():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    with seeded(0):
        a = torch.rand(3)
    with seeded(0):
        b = torch.rand(3)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(3), expected_next)  # the outside stream is untouched


def test_seeded_rejects_bad_seeds():
    with pytest.raises(ValueError), seeded(-1):
        pass
