"""Checkpoints: round trips, PyTorch interchange, and files that must never load or half-write."""
import os
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def test_round_trip_of_a_nested_structure(tmp_path):
    obj = {
        "model": {"w": mg.tensor([[1.5, 2.0]], dtype=mg.float64), "i": mg.tensor([1, 2]), "b": mg.tensor([True])},
        "step": 7, "lr": 1e-3, "name": "run-1", "none": None, "flag": False,
        "betas": (0.9, 0.999), "ids": [0, 1, 2], 3: {"int-key": np.float32(2.5)}, "arr": np.arange(3),
        "nan": float("nan"),
    }
    path = tmp_path / "ckpt.pt"
    mg.save(obj, path)
    back = mg.load(path)
    assert back["model"]["w"].dtype == mg.float64 and back["model"]["w"].tolist() == [[1.5, 2.0]]
    assert back["model"]["i"].dtype == mg.int64 and back["model"]["b"].dtype == mg.bool
    assert back["step"] == 7 and back["lr"] == 1e-3 and back["name"] == "run-1" and back["none"] is None
    assert back["flag"] is False and back["betas"] == (0.9, 0.999) and back["ids"] == [0, 1, 2]
    assert back[3] == {"int-key": 2.5}
    assert isinstance(back["arr"], np.ndarray) and back["arr"].tolist() == [0, 1, 2]
    assert np.isnan(back["nan"])
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # the exact name given, no temporary left


def test_model_round_trip_minigrad_file_minigrad(tmp_path):
    a = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    mg.save(a.state_dict(), tmp_path / "m.ckpt")
    b = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    b.load_state_dict(mg.load(tmp_path / "m.ckpt"))
    for (k, v), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
        assert k == k2 and v.tolist() == v2.tolist()


def test_map_location(tmp_path):
    mg.save({"w": mg.ones(2)}, tmp_path / "c")
    assert mg.load(tmp_path / "c", map_location="cpu")["w"].device == "cpu"


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    with pytest.raises(TypeError, match=r"save: cannot store obj\['f'\].*lambdas"):
        mg.save({"f": lambda: 0}, tmp_path / "x")
    assert not os.listdir(tmp_path)


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ.get('MINIGRAD_PWNED', '/tmp/minigrad-pwned')}",))


def test_a_pickled_payload_is_refused_and_never_executed(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("MINIGRAD_PWNED", str(marker))
    evil = tmp_path / "evil.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = _Exploit()
    structure = np.array('{"format": "minigrad-checkpoint-1", "root": {"__array__": "a0", "tensor": true}}')
    np.savez(evil, __structure__=structure, a0=payload)
    with pytest.raises(mg.CheckpointError, match="pickled objects are refused"):
        mg.load(evil)
    assert not marker.exists()


def test_truncated_and_foreign_files_give_a_clear_error(tmp_path):
    good = tmp_path / "good"
    mg.save({"w": mg.randn(100, 100)}, good)
    data = good.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(mg.CheckpointError, match="not a readable minigrad checkpoint"):
        mg.load(cut)
    text = tmp_path / "text"
    text.write_text("hello")
    with pytest.raises(mg.CheckpointError):
        mg.load(text)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.ones(2))
    with pytest.raises(mg.CheckpointError, match="not a minigrad checkpoint"):
        mg.load(other)
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "missing")


def test_damaged_structure_is_reported(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, __structure__=np.array('{"format": "minigrad-checkpoint-1", "root": {"__array__": "a9", "tensor": true}}'))
    with pytest.raises(mg.CheckpointError, match="refers to a missing array 'a9'"):
        mg.load(bad)


def test_a_crash_mid_save_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    mg.save({"w": mg.zeros(3)}, path)
    before = path.read_bytes()

    def crash(file, **arrays):
        with zipfile.ZipFile(file, "w") as z:  # write part of an archive, then die
            z.writestr("a0.npy", b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"w": mg.ones(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.ckpt"]
    monkeypatch.undo()
    assert mg.load(path)["w"].tolist() == [0, 0, 0]
