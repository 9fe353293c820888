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
        return (os.system, (f"touch {os.environ['MINIGRAD_PWNED']}",))  # set by the test to a file in its tmp_path


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


# ------------------------------------------------------------------ file objects, whole models, weights_only
class _TiedLM(nn.Module):
    """A small model with a tied embedding/output weight and a layer used twice."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(7, 4)
        self.rnn = nn.LSTM(4, 4)
        self.out = nn.Linear(4, 7)
        self.out.weight = self.emb.weight
        self.enc = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)
        self.again = self.enc
        self.note = {"vocab": ("a", "b"), "device": mg.device("cpu"), "dtype": mg.float32, "seen": {1, 2}}

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.out(self.again(self.enc(h)))


LAYERS = [_TiedLM, nn.Embedding, nn.LSTM, nn.Linear, nn.TransformerEncoderLayer, nn.MultiheadAttention,
          nn.attention.NonDynamicallyQuantizableLinear, nn.LayerNorm, nn.Dropout, nn.functional.relu]


def test_state_dict_round_trip_through_bytesio_and_an_open_file(tmp_path):
    import io

    sd = nn.Linear(3, 2).state_dict()
    buf = io.BytesIO()
    mg.save(sd, buf)
    buf.seek(0)
    back = mg.load(buf)
    assert all(back[k].tolist() == v.tolist() for k, v in sd.items())
    with open(tmp_path / "f.pt", "wb") as f:
        mg.save({"epoch": 3, "model": sd}, f)
    with open(tmp_path / "f.pt", "rb") as f:
        assert mg.load(f)["epoch"] == 3


def test_a_whole_model_saved_and_loaded_keeps_its_outputs_and_sharing():
    import io

    model = _TiedLM().eval()
    buf = io.BytesIO()
    mg.save(model, buf)
    buf.seek(0)
    back = mg.load(buf, weights_only=False)
    assert type(back) is _TiedLM and back is not model
    assert back.out.weight is back.emb.weight and back.again is back.enc  # tied weights and shared layers
    assert isinstance(back.emb.weight, nn.Parameter) and back.emb.weight.requires_grad
    assert back.note == model.note and back.enc.activation is model.enc.activation
    x = mg.tensor([[1, 2], [3, 4], [5, 6]])
    assert back(x).tolist() == model(x).tolist()
    assert [k for k, _ in back.named_parameters()] == [k for k, _ in model.named_parameters()]


def test_loading_is_weights_only_by_default():
    import io
    import pickle

    buf = io.BytesIO()
    mg.save(_TiedLM(), buf)
    buf.seek(0)
    with pytest.raises(mg.serialization.WeightsOnlyError, match=r"names tests?\.?.*_TiedLM.*weights_only=False.*add_safe_globals"):
        mg.load(buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):  # PyTorch's kind of error
        mg.load(buf, weights_only=True)
    with mg.serialization.safe_globals(LAYERS):
        buf.seek(0)
        assert isinstance(mg.load(buf), _TiedLM)
    assert not mg.serialization.get_safe_globals()  # the with block restored the list
    mg.serialization.add_safe_globals(LAYERS[:-1])
    try:
        buf.seek(0)
        with pytest.raises(mg.serialization.WeightsOnlyError, match="relu"):  # one function not allowed
            mg.load(buf)
    finally:
        mg.serialization.clear_safe_globals()


def _hand_written(tmp_path, root, **arrays):
    import json

    path = tmp_path / "crafted.npz"
    np.savez(path, __structure__=np.array(json.dumps({"format": "minigrad-checkpoint-1", "root": root})), **arrays)
    return path


def test_a_file_never_makes_loading_call_or_import_anything(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("MINIGRAD_PWNED", str(marker))
    # an object of a class whose __init__, __new__ or __setstate__ would act: none of them runs
    path = _hand_written(tmp_path, {"__object__": f"{__name__}:_Loud", "id": 0, "state": {"__dict__": [["x", 1]]}})
    with pytest.raises(mg.serialization.WeightsOnlyError):
        mg.load(path)
    obj = mg.load(path, weights_only=False)
    assert obj.x == 1 and not marker.exists()
    # a function as a class: refused, never called
    path = _hand_written(tmp_path, {"__object__": "os:system", "id": 0, "state": {"__dict__": []}})
    with pytest.raises(mg.CheckpointError, match="not a class"):
        mg.load(path, weights_only=False)
    # a module that is not imported is never imported
    path = _hand_written(tmp_path, {"__object__": "minigrad_no_such_module:Thing", "id": 0, "state": {"__dict__": []}})
    with pytest.raises(mg.CheckpointError, match="never imports a module"):
        mg.load(path, weights_only=False)
    assert not marker.exists()


class _Loud:
    def __new__(cls, *a):
        os.system(f"touch {os.environ['MINIGRAD_PWNED']}")
        return super().__new__(cls)

    def __init__(self):
        os.system(f"touch {os.environ['MINIGRAD_PWNED']}")

    def __setstate__(self, state):
        os.system(f"touch {os.environ['MINIGRAD_PWNED']}")


def test_objects_that_cannot_be_found_again_are_refused_when_saving(tmp_path):
    class Local(nn.Module):
        pass

    with pytest.raises(TypeError, match="cannot store obj"):
        mg.save(Local(), tmp_path / "x")
    with pytest.raises(TypeError, match=r"obj\.__dict__\['f'\].*lambdas"):
        m = nn.Linear(2, 2)
        m.f = lambda x: x
        mg.save(m, tmp_path / "x")
    assert not os.listdir(tmp_path)


_SAVER = """
import sys
import numpy as np
import minigrad as mg
state = {f"w{i}": mg.from_numpy(np.full(1_000_000, float(i))) for i in range(40)}  # 320 MB
print("ready", flush=True)
mg.save(state, sys.argv[1])
"""


def _temp_files(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def _kill_mid_save(path):
    """Start a process that saves a large state to ``path`` and SIGKILL it while it writes."""
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.stdout.readline().strip() == b"ready"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        temps = _temp_files(path.parent)
        if temps and os.path.getsize(path.parent / temps[0]) > 16_000_000:
            break
        time.sleep(0.001)
    assert proc.poll() is None, "the save finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and process-liveness checks are POSIX")
def test_a_killed_save_leaves_the_old_checkpoint_and_its_temp_file_is_cleaned_up_later(tmp_path):
    path = tmp_path / "model.ckpt"
    mg.save({"w": mg.arange(3)}, path)
    other = tmp_path / "other.ckpt"
    mg.save({"v": mg.ones(1)}, other)

    _kill_mid_save(path)
    stale = _temp_files(tmp_path)
    assert len(stale) == 1 and stale[0].startswith(".model.ckpt.minigrad-")  # a killed process cannot clean up
    assert mg.load(path)["w"].tolist() == [0, 1, 2]  # the old checkpoint is intact ...
    assert _temp_files(tmp_path) == []  # ... and loading it removed the dead process's temporary file

    _kill_mid_save(path)
    assert len(_temp_files(tmp_path)) == 1
    mg.save({"w": mg.arange(4)}, path)  # the next save to the same path removes it too
    assert _temp_files(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt", "other.ckpt"]
    assert mg.load(path)["w"].tolist() == [0, 1, 2, 3]
    assert mg.load(other)["v"].tolist() == [1.0]


def test_a_temp_file_of_a_live_process_or_another_target_is_left_alone(tmp_path):
    path = tmp_path / "model.ckpt"
    mine = tmp_path / f".model.ckpt.minigrad-{os.getppid()}-abc.tmp"  # the parent process is alive
    theirs = tmp_path / ".other.ckpt.minigrad-999999999-abc.tmp"  # a dead process, but another target
    mine.write_bytes(b"x")
    theirs.write_bytes(b"x")
    mg.save({"w": mg.zeros(1)}, path)
    mg.load(path)
    assert mine.exists() and theirs.exists()


def test_random_bytes_give_an_honest_message(tmp_path):
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(mg.CheckpointError, match=r"junk.ckpt is not a minigrad checkpoint: the file is not a zip archive") as e:
        mg.load(junk)
    assert "pickle" not in str(e.value)
    empty = tmp_path / "empty.ckpt"
    empty.write_bytes(b"")
    with pytest.raises(mg.CheckpointError, match="the file is empty"):
        mg.load(empty)
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(2))
    with pytest.raises(mg.CheckpointError, match=r"a single NumPy array \(\.npy\)"):
        mg.load(npy)
