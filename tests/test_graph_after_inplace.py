"""Graph analysis and hand-calculation traces follow the graph backward follows, also after recorded in-place
changes (``y[mask] = 0``, ``y.mul_(2)``): a node recorded before a change used the old history."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.analysis import analyze


@pytest.fixture(autouse=True)
def _cpu():
    """These compare with PyTorch on the CPU (also under --simulated-cuda, where the default device is cuda)."""
    mg.set_default_device("cpu")


def _graphs():
    """The same computation twice: with in-place changes of ``y`` after ``z`` used it, and written out of place."""
    w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    mask = mg.tensor([False, True, False])
    y = w * 2
    z = y.exp()  # uses y before the changes
    y[mask] = 0
    y.mul_(3)
    inplace = z.sum() + y.sum()
    y2 = w * 2
    z2 = y2.exp()
    out_of_place = z2.sum() + mg.ops.indexing.index_put(y2, mask, 0.0).mul(3).sum()
    return inplace, out_of_place, w


def test_analysis_walks_the_histories_backward_uses():
    inplace, out_of_place, _ = _graphs()
    a, b = analyze(inplace), analyze(out_of_place)
    # Mul, Exp, PutPositions, Mul, Sum, Sum, Add; the longest chain: w*2, put, *3, sum, add
    assert (a.ops, a.critical_path, a.ops_by_type) == (b.ops, b.critical_path, b.ops_by_type)
    assert a.critical_path == 5 and a.ops == 7


def test_analysis_matches_the_nodes_backward_visits():
    inplace, _, w = _graphs()
    order = mg.autograd._topological_order(inplace._ctx)
    assert analyze(inplace).ops == len(order)
    inplace.backward()
    expected = np.exp([1.0, -2.0, 4.0]) * 2 + np.array([6.0, 0.0, 6.0])
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-6)


def test_a_trace_writes_a_recorded_in_place_change_as_its_op():
    with mg.trace() as tr:
        x = tr.name(mg.tensor([1.0, 2.0], requires_grad=True), "x")
        y = x * 2
        tr.name(y, "y")
        y.mul_(3)
        tr.name(y, "y'")
    steps = {s.name: s for s in tr.steps}
    assert steps["y"].symbolic == "x*2"
    assert steps["y'"].symbolic == "y*3" and steps["y'"].substituted == "[2, 4]*3"
    assert steps["y'"].value.tolist() == [6.0, 12.0]


def test_a_trace_never_writes_a_formula_an_unrecorded_change_made_stale():
    with mg.trace() as tr:
        x = tr.name(mg.tensor([1.0, 2.0]), "x")
        y = x * 2
        y[mg.tensor([True, False])] = 0.0  # y requires no grad: a plain write, which the trace does not see
        tr.name(y, "y")
        s = y.sum()
        tr.name(s, "s")
    assert [st.name for st in tr.steps] == ["s"]  # no "y = x*2" next to the value [0, 4]
    assert tr.steps[0].symbolic == "sum(y)" and tr.steps[0].value.item() == 4.0
