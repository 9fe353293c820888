"""First steps with minigrad: fit a line by gradient descent, and check autograd against the hand derivation.

Run:  python examples/first_steps.py [--plot loss.png]
"""
import argparse

import minigrad as mg
from minigrad.testing import assert_close, gradcheck


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--plot", default="first_steps_loss.png", help="where to save the loss curve (needs matplotlib)")
    args = parser.parse_args()

    mg.manual_seed(0)
    mg.set_default_dtype(mg.float64)
    x = mg.linspace(-1, 1, 50)
    y = 3.0 * x - 0.5 + 0.1 * mg.randn(50)  # the line to recover: w = 3, b = -0.5

    w = mg.zeros((), requires_grad=True)
    b = mg.zeros((), requires_grad=True)

    # 1. autograd's gradient equals the one derived by hand:
    #    L = mean((w x + b - y)^2)  =>  dL/dw = mean(2 (w x + b - y) x),  dL/db = mean(2 (w x + b - y))
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    r = (w * x + b - y).detach()
    assert_close(w.grad, (2 * r * x).mean(), msg="dL/dw")
    assert_close(b.grad, (2 * r).mean(), msg="dL/db")
    print(f"hand-derived gradient   dL/dw = {(2 * r * x).mean().item():+.6f}   dL/db = {(2 * r).mean().item():+.6f}")
    print(f"autograd gradient       dL/dw = {w.grad.item():+.6f}   dL/db = {b.grad.item():+.6f}")
    # ... and the finite-difference estimate (float64 central differences)
    gradcheck(lambda w_, b_: ((w_ * x + b_ - y) ** 2).mean(), [w, b])
    print("finite differences agree (minigrad.testing.gradcheck)\n")

    # 2. gradient descent
    losses = []
    lr = 0.1
    for step in range(args.steps):
        w.grad = b.grad = None
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        losses.append(loss.item())
        if step % 20 == 0 or step == args.steps - 1:
            print(f"step {step:4d}   loss {loss.item():.6f}   w {w.item():+.4f}   b {b.item():+.4f}")
    print(f"\nfitted line: y = {w.item():.3f} x {b.item():+.3f}   (data made with y = 3 x - 0.5 + noise)")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(install matplotlib to get the loss curve as a PNG)")
        return
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogy(losses)
    ax.set_xlabel("step")
    ax.set_ylabel("mean squared error")
    ax.set_title("Gradient descent on a line fit")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"loss curve saved to {args.plot}")


if __name__ == "__main__":
    main()
