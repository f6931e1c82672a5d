"""Trains the example's convolutional network on scikit-learn's handwritten digits and writes it as ONNX,
with held-out digits as PNG files for the tests. numpy only for the training (no deep-learning framework),
the onnx package for writing the file.

    python3 -m venv /tmp/ml && /tmp/ml/bin/pip install scikit-learn onnx numpy pillow
    /tmp/ml/bin/python examples/predict/model/make_cnn.py

Data: `load_digits` (1,797 images of 8x8 pixels, ink 0..16), split 80/20 with a fixed seed. Each image is
drawn as a PNG would show it (dark ink on white, 8-bit gray: gray = round(255 * (1 - ink / 16))), upscaled
to 16x16 by repeating each pixel, and read back as the server reads any image: x = 1 - gray / 255. So the
committed held-out PNGs (16x16, the model's input size) go through exactly the preprocessing the training
data did.

Network (opset 13: Conv, Relu, MaxPool, Flatten, MatMul, Add, Softmax), input `image` [batch, 1, 16, 16]:
conv 3x3 (8 filters, padding 1), ReLU, max-pool 2x2; conv 3x3 (16 filters, padding 1), ReLU, max-pool 2x2;
flatten (256); dense 10; softmax -> `probabilities` [batch, 10]. Adam, 30 epochs, batches of 32.

Writes cnn.onnx, holdout/<n>-<label>.png for every held-out image, and holdout.json with the accuracy this
script measured on them (the tests expect the served model to match it within 2 points).
"""

import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 16
rng = np.random.default_rng(0)


def as_png_gray(ink):
    """8x8 ink 0..16 -> 16x16 8-bit gray, dark ink on white."""
    gray = np.round(255.0 * (1.0 - ink.reshape(8, 8) / 16.0)).astype(np.uint8)
    return np.kron(gray, np.ones((2, 2), dtype=np.uint8))


def as_input(gray):
    """8-bit gray -> the model's input, as the server computes it: 1 - gray / 255."""
    return (1.0 - gray.astype(np.float32) / 255.0)[None, :, :]


def im2col(x):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    patches = np.stack([xp[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=2)
    return patches.transpose(0, 3, 4, 1, 2).reshape(n * h * w, c * 9)


def col2im(cols, shape):
    n, c, h, w = shape
    d = cols.reshape(n, h, w, c, 9).transpose(0, 3, 4, 1, 2)
    dxp = np.zeros((n, c, h + 2, w + 2), dtype=cols.dtype)
    for k in range(9):
        i, j = divmod(k, 3)
        dxp[:, :, i:i + h, j:j + w] += d[:, :, k]
    return dxp[:, :, 1:-1, 1:-1]


def conv_forward(x, w, b):
    n, _, h, wd = x.shape
    cols = im2col(x)
    out = cols @ w.reshape(w.shape[0], -1).T + b
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def conv_backward(dout, cols, x_shape, w):
    f = w.shape[0]
    d = dout.transpose(0, 2, 3, 1).reshape(-1, f)
    dw = (d.T @ cols).reshape(w.shape)
    db = d.sum(axis=0)
    dx = col2im(d @ w.reshape(f, -1), x_shape)
    return dx, dw, db


def pool_forward(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = r.max(axis=(3, 5))
    mask = r == out[:, :, :, None, :, None]
    return out, mask


def pool_backward(dout, mask):
    d = mask * dout[:, :, :, None, :, None]
    n, c, h2, _, w2, _ = d.shape
    return d.reshape(n, c, h2 * 2, w2 * 2)


def forward(p, x):
    c1, cols1 = conv_forward(x, p["w1"], p["b1"])
    r1 = np.maximum(c1, 0)
    p1, m1 = pool_forward(r1)
    c2, cols2 = conv_forward(p1, p["w2"], p["b2"])
    r2 = np.maximum(c2, 0)
    p2, m2 = pool_forward(r2)
    flat = p2.reshape(len(x), -1)
    logits = flat @ p["w3"] + p["b3"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return probs, (x, cols1, c1, m1, p1, cols2, c2, m2, p2, flat)


def backward(p, cache, probs, y):
    x, cols1, c1, m1, p1, cols2, c2, m2, p2, flat = cache
    n = len(y)
    dlogits = probs.copy()
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    g = {"w3": flat.T @ dlogits, "b3": dlogits.sum(axis=0)}
    dp2 = (dlogits @ p["w3"].T).reshape(p2.shape)
    dc2 = pool_backward(dp2, m2) * (c2 > 0)
    dp1, g["w2"], g["b2"] = conv_backward(dc2, cols2, p1.shape, p["w2"])
    dc1 = pool_backward(dp1, m1) * (c1 > 0)
    _, g["w1"], g["b1"] = conv_backward(dc1, cols1, x.shape, p["w1"])
    return g


def main():
    digits = load_digits()
    idx_train, idx_test = train_test_split(np.arange(len(digits.data)), test_size=0.2, random_state=0)
    grays = np.stack([as_png_gray(row) for row in digits.data])
    x = np.stack([as_input(g) for g in grays]).astype(np.float32)
    y = digits.target
    params = {
        "w1": rng.normal(0, np.sqrt(2 / 9), (8, 1, 3, 3)).astype(np.float32),
        "b1": np.zeros(8, np.float32),
        "w2": rng.normal(0, np.sqrt(2 / 72), (16, 8, 3, 3)).astype(np.float32),
        "b2": np.zeros(16, np.float32),
        "w3": rng.normal(0, np.sqrt(2 / 256), (256, 10)).astype(np.float32),
        "b3": np.zeros(10, np.float32),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    step, lr, b1, b2 = 0, 0.003, 0.9, 0.999
    for epoch in range(30):
        order = rng.permutation(idx_train)
        for start in range(0, len(order), 32):
            batch = order[start:start + 32]
            probs, cache = forward(params, x[batch])
            grads = backward(params, cache, probs, y[batch])
            step += 1
            for k in params:
                m[k] = b1 * m[k] + (1 - b1) * grads[k]
                v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
                mhat = m[k] / (1 - b1**step)
                vhat = v[k] / (1 - b2**step)
                params[k] -= (lr * mhat / (np.sqrt(vhat) + 1e-8)).astype(np.float32)
    probs, _ = forward(params, x[idx_test])
    accuracy = float((probs.argmax(axis=1) == y[idx_test]).mean())
    print(f"held-out accuracy: {accuracy:.4f} on {len(idx_test)} images")

    init = [numpy_helper.from_array(params[k].astype(np.float32), k) for k in ["w1", "b1", "w2", "b2", "w3", "b3"]]
    pool = {"kernel_shape": [2, 2], "strides": [2, 2]}
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], **pool),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], **pool),
        helper.make_node("Flatten", ["p2"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w3"], ["h"]),
        helper.make_node("Add", ["h", "b3"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "digits_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, SIZE, SIZE])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
        init,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="peregrine-examples")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "cnn.onnx"))

    holdout = os.path.join(HERE, "holdout")
    shutil.rmtree(holdout, ignore_errors=True)
    os.makedirs(holdout)
    for n, i in enumerate(idx_test):
        Image.fromarray(grays[i], mode="L").save(os.path.join(holdout, f"{n:03d}-{y[i]}.png"), optimize=True)
    with open(os.path.join(HERE, "holdout.json"), "w") as f:
        json.dump({"images": len(idx_test), "accuracy": round(accuracy, 4), "input_size": SIZE}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
