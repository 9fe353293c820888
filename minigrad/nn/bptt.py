r"""Backpropagation through time, derived by hand: one op per recurrent layer and direction.

Each class runs a whole sequence forward in a loop and, in ``backward``, the BPTT recursion
backwards in time. The equations and their numbering are those of ``docs/bptt.md``; the
notation is shared:

- :math:`x_t` input, :math:`h_t` hidden state, :math:`c_t` LSTM cell state, :math:`t = 1..T`;
- :math:`\delta_t = \partial L / \partial h_t`, the *total* gradient reaching :math:`h_t`: from the
  output at step :math:`t` and from step :math:`t+1`;
- :math:`a_t` pre-activations; weight gradients are sums over time, done after the loop as one
  matrix product each (the loop only carries what is truly sequential).

Variable-length batches use a mask :math:`m_t \in \{0, 1\}` per sequence: a padded step keeps the
state (:math:`h_t = h_{t-1}`), outputs zero, and passes its gradient straight back.

Inputs are ``(x, h0[, c0], w_ih, w_hh[, b_ih, b_hh])`` with ``x`` of shape ``(T, B, I)``; outputs are
``(output, h_T[, c_T])`` with ``output`` of shape ``(T, B, H)``, as one direction of PyTorch's layer.
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from ..autograd import Function
from ..backend import array_module


def _sigmoid(xp: Any, a: Any, out: Any) -> Any:
    """:math:`1/(1+e^{-a})` written into ``out`` (which may be ``a``), with no temporary array.

    For :math:`a < -88` (float32) :math:`e^{-a}` overflows to inf and the result is the correct limit 0:
    callers silence that warning once around their loop (``numpy.errstate(over="ignore")``).
    """
    xp.negative(a, out=out)
    xp.exp(out, out=out)
    out += 1
    return xp.reciprocal(out, out=out)


class _Recurrence(Function):
    """What the three recurrences share: the mask, the input projection, outputs and weight gradients.

    Their large arrays (the saved states and gates, backward's per-step gradients) come from
    :func:`minigrad.backend.buffer` and go back to it in :meth:`release`, after backward: the next
    call of the same shape reuses them instead of asking the operating system for fresh pages.
    """

    fresh_grads = True
    n_states = 1

    def __init__(self, mask: Any = None, record: dict | None = None) -> None:
        self.mask = mask  # (T, B) bool array or None
        self.record = record  # if a dict, backward stores delta_t for every t there under "deltas"
        self.n_outputs = 1 + self.n_states
        self._taken: list = []  # names of the attributes that hold reused buffers

    def apply(self, x: Any, *rest: Any) -> Any:  # type: ignore[override]
        self.sequential_steps = x._data.shape[0]  # the loop inside: for minigrad.analysis's critical path
        return super().apply(x, *rest)

    def release(self) -> None:
        backend.give_back(self.__dict__, self._taken)
        super().release()

    def _buffer(self, name: str, xp: Any, shape: tuple, dtype: Any) -> Any:
        """A reused uninitialised array, kept as ``self.<name>`` until :meth:`release` gives it back."""
        a = backend.buffer(xp, shape, dtype)
        setattr(self, name, a)
        self._taken.append(name)
        return a

    def _give_back_now(self, name: str) -> None:
        """Give one buffer back before :meth:`release` (forward's scratch, which backward does not read)."""
        self._taken.remove(name)
        backend.give_back(self.__dict__, [name])

    def _masks(self, x: Any) -> Any:
        """The mask as ``(T, B, 1)`` floats (0/1 multipliers of gradients), or None."""
        if self.mask is None:
            return None
        return self.mask.astype(x.dtype)[:, :, None]

    def _keep(self, t: int, new: Any, old: Any) -> Any:
        """The state after step ``t``: ``new`` where the sequence goes on, ``old`` where it has ended."""
        if self.mask is None:
            return new
        return array_module(new).where(self.mask[t][:, None], new, old)

    def _outputs(self, hs: Any) -> Any:
        if self.mask is None:
            return hs[1:].copy()
        return array_module(hs).where(self.mask[:, :, None], hs[1:], 0)

    def _rows(self, x: Any) -> Any:
        """``x`` of shape ``(T, B, I)`` as a ``(T*B, I)`` matrix (copied once if it is not contiguous)."""
        T, B, n_in = x.shape
        if x.flags.c_contiguous:
            return x.reshape(T * B, n_in)
        x2 = self._buffer("x2", array_module(x), (T * B, n_in), x.dtype)
        x2.reshape(T, B, n_in)[...] = x
        return x2

    def _project(self, x2: Any, w_ih: Any, b: Any, T: int) -> Any:
        # the input projection has no time dependence: one matrix product for all steps (Eq. 1)
        xp = array_module(x2)
        xw = self._buffer("xw", xp, (T, x2.shape[0] // T, w_ih.shape[0]), x2.dtype)
        xp.matmul(x2, w_ih.T, out=xw.reshape(x2.shape[0], -1))
        if b is not None:
            xw += b
        return xw

    def _weight_grads(self, x2: Any, hprev: Any, d_in: Any, d_hid: Any, w_ih: Any, has_bias: bool) -> tuple:
        """Gradients of the inputs and weights from the per-step pre-activation gradients (Eq. 4)."""
        T, B = hprev.shape[:2]
        di = d_in.reshape(T * B, -1)
        dh = d_hid.reshape(T * B, -1)
        dx = (di @ w_ih).reshape(T, B, -1) if self.needs_input_grad[0] else None
        dw_ih = di.T @ x2
        dw_hh = dh.T @ hprev.reshape(T * B, -1)
        grads = (dx, dw_ih, dw_hh)
        if has_bias:
            db_ih = backend.sum_rows(di)
            # the Elman RNN passes one array for both: b_ih and b_hh then get equal (but separate) gradients
            grads += (db_ih, db_ih.copy() if d_hid is d_in else backend.sum_rows(dh))
        return grads

    def _output_grad(self, gout: Any, t: int, delta: Any, m: Any) -> Any:
        if gout is None:
            return delta
        return delta + (gout[t] * m[t] if m is not None else gout[t])


class RNNSequence(_Recurrence):
    r"""Elman RNN: :math:`h_t = \phi(a_t)`, :math:`a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`,
    :math:`\phi = \tanh` or ReLU.

    BPTT (docs/bptt.md, Eq. 2-3): :math:`\bar a_t = \delta_t \odot \phi'(a_t)`,
    :math:`\delta_{t-1} \mathrel{+}= \bar a_t W_{hh}`; then
    :math:`\bar W_{hh} = \sum_t \bar a_t^\top h_{t-1}`, :math:`\bar W_{ih} = \sum_t \bar a_t^\top x_t`,
    :math:`\bar b = \sum_t \bar a_t`, :math:`\bar x_t = \bar a_t W_{ih}`.
    """

    def __init__(self, nonlinearity: str = "tanh", mask: Any = None, record: dict | None = None) -> None:
        super().__init__(mask, record)
        self.relu = nonlinearity == "relu"

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
        xp = array_module(x)
        T, B, _ = x.shape
        x2 = self._rows(x)
        xw = self._project(x2, w_ih, None if b_ih is None else b_ih + b_hh, T)
        hs = self._buffer("hs", xp, (T + 1,) + h0.shape, x.dtype)
        hs[0] = h0
        w_hh_t = xp.ascontiguousarray(w_hh.T)  # BLAS reads a contiguous (H, H) operand faster than a transposed view
        masked = self.mask is not None
        for t in range(T):
            a = xw[t]  # a_t, in place
            a += hs[t] @ w_hh_t
            out = None if masked else hs[t + 1]
            h = xp.maximum(a, 0, out=out) if self.relu else xp.tanh(a, out=out)
            if masked:
                hs[t + 1] = self._keep(t, h, hs[t])
        self.x2, self.w_ih, self.w_hh, self.has_bias = x2, w_ih, w_hh, b_ih is not None
        return self._outputs(hs), hs[T].copy()

    def backward(self, gout, gh):
        xp = array_module(self.hs)
        hs, w_hh = self.hs, self.w_hh
        m = self._masks(hs)
        T = hs.shape[0] - 1
        # da starts as phi'(a_t) for all t at once, read off the saved outputs (Eq. 2); the loop scales it
        # by delta_t in place, so it keeps only the recursion
        da = self._buffer("da", xp, hs[1:].shape, hs.dtype)
        if self.relu:
            xp.greater(hs[1:], 0, out=da, casting="unsafe")
        else:
            xp.multiply(hs[1:], hs[1:], out=da)
            xp.subtract(1, da, out=da)
        delta = gh.copy() if gh is not None else xp.zeros_like(hs[0])
        deltas = xp.empty_like(da) if self.record is not None else None
        for t in range(T - 1, -1, -1):
            delta = self._output_grad(gout, t, delta, m)
            if deltas is not None:
                deltas[t] = delta
            d_new = delta if m is None else delta * m[t]
            da[t] *= d_new  # Eq. 2
            back = da[t] @ w_hh  # Eq. 3
            delta = back if m is None else back + (delta - d_new)  # a padded step hands delta to h_{t-1}
        if deltas is not None:
            self.record["deltas"] = deltas
        grads = self._weight_grads(self.x2, hs[:-1], da, da, self.w_ih, self.has_bias)
        return (grads[0], delta) + grads[1:]


class LSTMSequence(_Recurrence):
    r"""LSTM with PyTorch's gate order :math:`(i, f, g, o)`:
    :math:`[a^i, a^f, a^g, a^o] = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`,
    :math:`i, f, o = \sigma(\cdot)`, :math:`g = \tanh(a^g)`,
    :math:`c_t = f \odot c_{t-1} + i \odot g`, :math:`h_t = o \odot \tanh c_t`.

    BPTT (docs/bptt.md, Eq. 5-7), with :math:`\gamma_t = \partial L/\partial c_t` (total):
    :math:`\bar o = \delta_t \tanh c_t`, :math:`\gamma_t \mathrel{+}= \delta_t\, o\,(1 - \tanh^2 c_t)`,
    :math:`\bar i = \gamma_t g`, :math:`\bar g = \gamma_t i`, :math:`\bar f = \gamma_t c_{t-1}`,
    :math:`\gamma_{t-1} = \gamma_t f`; pre-activations through :math:`\sigma' = \sigma(1-\sigma)`,
    :math:`\tanh' = 1 - \tanh^2`; :math:`\delta_{t-1} \mathrel{+}= \bar a_t W_{hh}`.
    """

    n_states = 2

    # Two layouts, each where it is fast. The elementwise gate math works on gate-major arrays, gates in
    # the order (o, i, f, g): the sigmoid gates (o, i, f) and the gates scaled by gamma (i, f, g) are then
    # runs of whole contiguous blocks, so every elementwise step is one long pass; in PyTorch's layout
    # each is one short strided pass per H-wide row, 3-4x slower at H = 20. The forward's products write
    # gate-major blocks directly (one product per gate). The backward's da is in PyTorch's layout, the
    # four gates side by side in each row, which makes the recursion one product per step and dx and
    # all weight gradients one product each; writing a step into it is one strided pass.
    _ORDER = [3, 0, 1, 2]  # PyTorch's (i, f, g, o) blocks in storage order

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None):
        xp = array_module(x)
        T, B, n_in = x.shape
        H = h0.shape[-1]
        dt = x.dtype
        n_z = n_in + (b_ih is not None)  # the columns of z the input projection reads
        # sigma(a) = (1 + tanh(a/2)) / 2: with the sigmoid gates' weights and biases halved (exact in binary
        # floating point), one tanh over all four gates computes every gate, and two passes finish the sigmoids
        half = xp.asarray([0.5, 0.5, 0.5, 1.0], dtype=dt)[:, None, None]
        w_hh4_t = xp.ascontiguousarray((w_hh.reshape(4, H, H)[self._ORDER] * half).transpose(0, 2, 1))
        # Row (t, b) of z is [x_t, 1, h_{t-1}]: the forward reads [x_t, 1] (the 1 adds the bias in the
        # projection), and the backward gets all weight gradients from one product z^T da
        z = self._buffer("z", xp, (T, B, n_z + H), dt)
        z[..., :n_in] = x
        w_in = xp.empty((4, n_z, H), dtype=dt)  # [W_ih^T; b] per gate, the sigmoid gates halved
        w_in[:, :n_in] = w_ih.reshape(4, H, n_in)[self._ORDER].transpose(0, 2, 1)
        if b_ih is not None:
            z[..., n_in] = 1
            w_in[:, n_in] = (b_ih + b_hh).reshape(4, H)[self._ORDER]
        w_in *= half
        # the input projection has no time dependence: one product per gate for all steps (Eq. 1)
        xw = self._buffer("xw", xp, (4 * T * B * H,), dt).reshape(4, T, B, H)  # flat: backward's da takes it
        xp.matmul(z.reshape(T * B, -1)[:, :n_z], w_in, out=xw.reshape(4, T * B, H))
        gates = self._buffer("gates", xp, (T, 4, B, H), dt)
        hs = self._buffer("hs", xp, (T + 1, B, H), dt)
        cs = self._buffer("cs", xp, (T + 1, B, H), dt)
        tcs = self._buffer("tcs", xp, (T, B, H), dt)
        hs[0], cs[0] = h0, c0
        ig = xp.empty((B, H), dtype=dt)
        masked = self.mask is not None
        # Each step writes straight into the saved buffers (no temporaries): at small sizes the
        # per-call cost of NumPy, not the arithmetic, is what a step costs.
        for t in range(T):
            gt = xp.matmul(hs[t], w_hh4_t, out=gates[t])  # a_t (a_t/2 for the sigmoid gates), then the gates in place
            gt += xw[:, t]
            xp.tanh(gt, out=gt)
            sig = gt[:3]
            sig *= 0.5
            sig += 0.5
            o, i, f, g = gt
            c = xp.multiply(f, cs[t], out=None if masked else cs[t + 1])
            c += xp.multiply(i, g, out=ig)
            xp.tanh(c, out=tcs[t])
            h = xp.multiply(o, tcs[t], out=None if masked else hs[t + 1])
            if masked:
                hs[t + 1], cs[t + 1] = self._keep(t, h, hs[t]), self._keep(t, c, cs[t])
        del xw
        self._give_back_now("xw")  # less memory held at once: backward's da takes it
        self.w_ih, self.w_hh = w_ih, w_hh
        return self._outputs(hs), hs[T].copy(), cs[T].copy()

    def backward(self, gout, gh, gc):
        xp = array_module(self.hs)
        hs, cs, tcs, z = self.hs, self.cs, self.tcs, self.z
        gates = self.gates
        T, B, H = tcs.shape
        dt = hs.dtype
        m = self._masks(hs)
        o, i, f, g = (gates[:, k] for k in range(4))
        # Everything in Eqs. 5-6 that does not involve delta or gamma, for all t at once: the loop then
        # only multiplies and carries (what is truly sequential).
        # d a_t / d delta_t (gate o) and d a_t / d gamma_t (gates i, f, g), laid out as the gates
        slope = self._buffer("slope", xp, gates.shape, dt)
        xp.subtract(1, gates[:, :3], out=slope[:, :3])  # sigma' = sigma (1 - sigma), the three sigmoid gates at once
        slope[:, :3] *= gates[:, :3]
        slope[:, 0] *= tcs
        slope[:, 1] *= g
        slope[:, 2] *= cs[:-1]
        xp.multiply(g, g, out=slope[:, 3])  # tanh' = 1 - g^2
        xp.subtract(1, slope[:, 3], out=slope[:, 3])
        slope[:, 3] *= i
        road = self._buffer("road", xp, (T, B, H), dt)  # d h_t / d c_t = o (1 - tanh^2 c_t)
        xp.multiply(tcs, tcs, out=road)
        xp.subtract(1, road, out=road)
        road *= o
        # da_t in PyTorch's layout, (i, f, g, o) side by side in each row: every product with the weights
        # (the recursion, dx and the weight gradients) is then one matrix product with PyTorch's weights
        da = self._buffer("da", xp, (4 * T * B * H,), dt).reshape(T, B, 4, H)
        da_o, da_ifg = da[:, :, 3], da[:, :, :3].transpose(2, 0, 1, 3)
        delta = gh.copy() if gh is not None else xp.zeros_like(hs[0])
        gamma = gc.copy() if gc is not None else xp.zeros_like(cs[0])
        deltas = xp.empty_like(hs[1:]) if self.record is not None else None
        dc, spare = xp.empty_like(gamma), xp.empty_like(gamma)
        for t in range(T - 1, -1, -1):
            if gout is not None:
                delta += gout[t] if m is None else gout[t] * m[t]
            if deltas is not None:
                deltas[t] = delta
            dh_new = delta if m is None else delta * m[t]
            dc_new = gamma if m is None else gamma * m[t]
            xp.multiply(dh_new, road[t], out=dc)  # Eq. 5
            dc += dc_new
            xp.multiply(slope[t, 0], dh_new, out=da_o[t])  # Eq. 6
            xp.multiply(slope[t, 1:], dc, out=da_ifg[:, t])
            back_c = xp.multiply(dc, f[t], out=spare)  # Eq. 7
            back_h = da[t].reshape(B, 4 * H) @ self.w_hh
            if m is None:
                spare, gamma, delta = gamma, back_c, back_h  # the old gamma's array takes the next back_c
            else:  # what a padded step carries straight back
                gamma, delta = back_c + (gamma - dc_new), back_h + (delta - dh_new)
        if deltas is not None:
            self.record["deltas"] = deltas
        # Eq. 4: sums over all T*B rows, one matrix product each
        da = da.reshape(T * B, 4 * H)
        dx = (da @ self.w_ih).reshape(T, B, -1) if self.needs_input_grad[0] else None
        n_in, n_z = self.w_ih.shape[1], z.shape[-1] - H
        z[..., n_z:] = hs[:-1]
        dw = da.T @ z.reshape(T * B, -1)
        grads = (dx, delta, gamma, dw[:, :n_in].copy(), dw[:, n_z:].copy())
        if n_z > n_in:
            grads += (dw[:, n_in].copy(), dw[:, n_in].copy())
        return grads


class GRUSequence(_Recurrence):
    r"""GRU with PyTorch's gate order :math:`(r, z, n)`:
    :math:`r = \sigma(a^r_x + a^r_h)`, :math:`z = \sigma(a^z_x + a^z_h)`,
    :math:`n = \tanh(a^n_x + r \odot a^n_h)`, :math:`h_t = (1 - z) \odot n + z \odot h_{t-1}`,
    where :math:`a_x = W_{ih} x_t + b_{ih}` and :math:`a_h = W_{hh} h_{t-1} + b_{hh}` (split in three).

    BPTT (docs/bptt.md, Eq. 8-10): :math:`\bar n = \delta_t (1 - z)`, :math:`\bar z = \delta_t (h_{t-1} - n)`,
    :math:`\bar a^n_x = \bar n (1 - n^2)`, :math:`\bar a^n_h = \bar a^n_x\, r`, :math:`\bar r = \bar a^n_x\, a^n_h`,
    :math:`\delta_{t-1} \mathrel{+}= \delta_t z + \bar a_h W_{hh}`; the input side and the hidden side get
    different pre-activation gradients because :math:`r` multiplies only :math:`a^n_h`.
    """

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None):
        xp = array_module(x)
        T, B, _ = x.shape
        H = h0.shape[-1]
        dt = x.dtype
        x2 = self._rows(x)
        xw = self._project(x2, w_ih, b_ih, T)
        hs = self._buffer("hs", xp, (T + 1, B, H), dt)
        hs[0] = h0
        rz = self._buffer("rz", xp, (T, B, 2 * H), dt)
        ns = self._buffer("ns", xp, (T, B, H), dt)
        hws = self._buffer("hws", xp, (T, B, 3 * H), dt)  # h_{t-1} W_hh^T + b_hh; its a^n_h part is kept for dr
        w_hh_t = xp.ascontiguousarray(w_hh.T)  # BLAS reads a contiguous (H, 3H) operand faster than a transposed view
        masked = self.mask is not None
        with numpy.errstate(over="ignore"):  # see _sigmoid
            for t in range(T):
                hw = xp.matmul(hs[t], w_hh_t, out=hws[t])
                if b_hh is not None:
                    hw += b_hh
                a = xw[t, :, : 2 * H]  # a^r, a^z, in place
                a += hw[:, : 2 * H]
                _sigmoid(xp, a, rz[t])
                r, z = rz[t, :, :H], rz[t, :, H:]
                n = xp.multiply(r, hw[:, 2 * H :], out=ns[t])
                n += xw[t, :, 2 * H :]
                xp.tanh(n, out=n)
                h = xp.subtract(hs[t], n, out=None if masked else hs[t + 1])  # h_t = n + z (h_{t-1} - n)
                h *= z
                h += n
                if masked:
                    hs[t + 1] = self._keep(t, h, hs[t])
        self.x2, self.w_ih, self.w_hh, self.has_bias = x2, w_ih, w_hh, b_ih is not None
        return self._outputs(hs), hs[T].copy()

    def backward(self, gout, gh):
        xp = array_module(self.hs)
        hs, w_hh = self.hs, self.w_hh
        m = self._masks(hs)
        T, B, H = hs.shape[0] - 1, hs.shape[1], hs.shape[-1]
        r, z, n, ghn = self.rz[..., :H], self.rz[..., H:], self.ns, self.hws[..., 2 * H :]
        # The factors of Eqs. 8-9 that do not involve delta, for all t at once: each pre-activation
        # gradient is delta_t times a known factor. d_in, d_hid start as the factors and are scaled by
        # delta_t in place in the loop.
        d_in = self._buffer("d_in", xp, (T, B, 3, H), hs.dtype)
        d_hid = self._buffer("d_hid", xp, (T, B, 3, H), hs.dtype)
        an, scratch = d_in[:, :, 2], d_hid[:, :, 0]
        xp.multiply(n, n, out=an)  # d a^n_x / d delta = (1 - z)(1 - n^2) (Eq. 8)
        xp.subtract(1, an, out=an)
        an *= xp.subtract(1, z, out=scratch)
        dr = xp.subtract(1, r, out=d_in[:, :, 0])  # a^r (Eq. 9): an a^n_h r (1 - r)
        dr *= r
        dr *= ghn
        dr *= an
        dz = xp.subtract(1, z, out=d_in[:, :, 1])  # a^z: (h_{t-1} - n) z (1 - z)
        dz *= z
        dz *= xp.subtract(hs[:-1], n, out=scratch)
        d_hid[:, :, :2] = d_in[:, :, :2]
        xp.multiply(an, r, out=d_hid[:, :, 2])  # a^n_h: the reset gate multiplies the hidden side only
        delta = gh.copy() if gh is not None else xp.zeros_like(hs[0])
        deltas = xp.empty_like(hs[1:]) if self.record is not None else None
        for t in range(T - 1, -1, -1):
            delta = self._output_grad(gout, t, delta, m)
            if deltas is not None:
                deltas[t] = delta
            dh_new = delta if m is None else delta * m[t]
            d_in[t] *= dh_new[:, None, :]
            d_hid[t] *= dh_new[:, None, :]
            back = d_hid[t].reshape(B, 3 * H) @ w_hh  # Eq. 10
            back += dh_new * z[t]
            delta = back if m is None else back + (delta - dh_new)
        if deltas is not None:
            self.record["deltas"] = deltas
        grads = self._weight_grads(self.x2, hs[:-1], d_in.reshape(T, B, 3 * H), d_hid.reshape(T, B, 3 * H), self.w_ih, self.has_bias)
        return (grads[0], delta) + grads[1:]
