"""Damaged and crafted checkpoints: ``minigrad.load`` returns the saved object or raises CheckpointError,
never another exception, never something else (issue 26).

Hypothesis draws crafted ``__structure__`` entries and random byte flips from ``--fuzz-seed`` (default 0,
as CI runs them; ``--fuzz-seed random`` for a new run): a few dozen examples in the normal run, many
more under ``pytest -m fuzz``.
"""
import io
import os

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import minigrad as mg
from checkpoint_corruption import archive, checkpoint, compression_method_offsets, flip, real_checkpoint, same, structures
from minigrad.serialization import CheckpointError

FAST, LONG = 60, int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", "2000"))
COMMON = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _load(data: bytes, weights_only: bool = True):
    return mg.load(io.BytesIO(data), weights_only=weights_only)


def _crafted(fuzz_seed: int, examples: int) -> None:
    @seed(fuzz_seed)
    @settings(max_examples=examples, **COMMON)
    @given(structures, st.booleans(), st.booleans())
    def run(structure, wrapped, weights_only):
        data = checkpoint(structure) if wrapped else archive(structure)
        try:
            _load(data, weights_only)
        except CheckpointError:
            pass

    run()


def _flipped(fuzz_seed: int, examples: int) -> None:
    data, obj = real_checkpoint()

    @seed(fuzz_seed)
    @settings(max_examples=examples, **COMMON)
    @given(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=3), st.lists(st.integers(1, 255), min_size=3, max_size=3),
           st.one_of(st.none(), st.integers(0, len(data) - 1)))
    def run(positions, masks, cut):
        damaged = flip(data, positions, masks)
        if cut is not None:
            damaged = damaged[:cut]
        try:
            back = _load(damaged)
        except CheckpointError:
            return
        assert same(back, obj), "a damaged checkpoint loaded as something other than what was saved"

    run()


def test_crafted_structures_load_or_raise_checkpoint_error(fuzz_seed):
    _crafted(fuzz_seed, FAST)


def test_random_byte_flips_load_the_same_object_or_raise_checkpoint_error(fuzz_seed):
    _flipped(fuzz_seed, FAST)


@pytest.mark.fuzz
def test_crafted_structures_long(fuzz_seed):
    _crafted(fuzz_seed, LONG)


@pytest.mark.fuzz
def test_random_byte_flips_long(fuzz_seed):
    _flipped(fuzz_seed, LONG)


# ------------------------------------------------------------------ the repros of issue 26
@pytest.mark.parametrize("root", [
    {"__tuple__": 5}, {"__dict__": 5}, {"__dict__": [[{"__dict__": []}, 1]]}, {"__set__": [[1]]}, {"__ref__": [1]},
    {"__dtype__": "garbage"}, {"__dtype__": 5}, {"__device__": "xyz"}, {"__device__": 3},
    {"__array__": "a0", "tensor": True, "device": 5}, {"__array__": "a1", "tensor": True, "parameter": True, "requires_grad": True},
    {"__array__": ["a0"]}, {"__array__": "__structure__", "tensor": True}, {"__global__": 7}, {"__object__": "builtins:int", "state": {}},
    {"__object__": "collections:OrderedDict", "state": 5},
], ids=repr)
@pytest.mark.parametrize("weights_only", [True, False])
def test_crafted_entries_raise_checkpoint_error(root, weights_only):
    with pytest.raises(CheckpointError):
        _load(checkpoint(root), weights_only)


@pytest.mark.parametrize("key", ["a2", "a3", "a4", "a5", "a7", "a8"])
def test_arrays_of_dates_text_bytes_void_are_never_loaded_as_tensors(key):
    with pytest.raises(CheckpointError, match="dtype"):
        _load(checkpoint({"__array__": key, "tensor": True, "device": "cpu"}))


@pytest.mark.parametrize("key", ["a2", "a5", "a8"])
def test_arrays_of_dates_and_void_are_never_loaded_at_all(key):
    with pytest.raises(CheckpointError, match="dtype"):
        _load(checkpoint({"__array__": key, "tensor": False}))


def test_big_endian_tensor_loads_in_native_order():
    t = _load(checkpoint({"__array__": "a6", "tensor": True, "device": "cpu"}))
    assert t.tolist() == [1.5] and t.dtype.isnative


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_deep_nesting_raises_checkpoint_error(depth):
    with pytest.raises(CheckpointError, match="deeply"):
        _load(archive(None, raw='{"format": "minigrad-checkpoint-1", "root": ' + "[" * depth + "]" * depth + "}"))


def test_a_flipped_compression_method_raises_checkpoint_error():
    data, obj = real_checkpoint()
    local, central = compression_method_offsets(data)
    for mask in (1, 8, 0x63):  # "shrunk", deflate over stored bytes, AES: unsupported or undecodable
        for offset in central:  # the method zipfile uses
            with pytest.raises(CheckpointError):
                _load(flip(data, [offset], [mask]))
        for offset in local:  # zipfile reads the central directory's: the copy in the local header is not used
            try:
                assert same(_load(flip(data, [offset], [mask])), obj)
            except CheckpointError:
                pass


def test_an_undamaged_checkpoint_round_trips():
    data, obj = real_checkpoint()
    assert same(_load(data), obj)
