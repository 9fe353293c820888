"""TensorDataset and DataLoader."""
import pytest

import minigrad as mg
from minigrad.utils.data import DataLoader, Dataset, TensorDataset


def test_batches_in_order_with_last_partial_batch():
    ds = TensorDataset(mg.arange(10), mg.arange(10) * 10)
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][1].tolist() == [0, 10, 20, 30]
    assert len(DataLoader(ds, batch_size=4)) == 3
    dl = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dl) == 2 and [len(b[0]) for b in dl] == [4, 4]


def test_shuffle_is_reproducible_with_a_seeded_generator_and_covers_everything():
    ds = TensorDataset(mg.arange(20))
    order = lambda seed: [b[0].tolist() for b in DataLoader(ds, batch_size=5, shuffle=True, generator=mg.Generator().manual_seed(seed))]  # noqa: E731
    assert order(3) == order(3)
    assert order(3) != order(4)
    flat = sorted(x for b in order(3) for x in b)
    assert flat == list(range(20))
    dl = DataLoader(ds, batch_size=20, shuffle=True, generator=mg.Generator().manual_seed(1))
    assert next(iter(dl))[0].tolist() != next(iter(dl))[0].tolist()  # a new order every epoch


def test_custom_dataset_and_collate():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return mg.tensor([float(i)]), i * i

    x, y = next(iter(DataLoader(Squares(), batch_size=3)))
    assert x.shape == (3, 1) and y.tolist() == [0, 1, 4]


def test_bad_input():
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(mg.ones(3), mg.ones(4))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(TensorDataset(mg.ones(3)), batch_size=0)
