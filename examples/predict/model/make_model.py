"""Trains the example model and writes it as ONNX, with samples for the tests.

    python3 -m venv /tmp/ml && /tmp/ml/bin/pip install scikit-learn onnx numpy
    /tmp/ml/bin/python examples/predict/model/make_model.py

The model: a multi-layer perceptron (64 -> 64 ReLU -> 10 softmax) trained by scikit-learn on its bundled
8x8 handwritten digits (pixel values 0..16), written as a plain ONNX graph (MatMul, Add, Relu, Softmax; opset
13) so that every ONNX runtime reads it: tract in Peregrine's example, onnxruntime in the Falcon peer. The
1/16 input scaling is folded into the first layer's weights, so clients send raw pixel values.
Writes digits.onnx and samples.json (held-out inputs with scikit-learn's own probabilities, which the
example's tests compare with what the served model answers).
"""

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))

digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=0.2, random_state=0
)
mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=0)
mlp.fit(x_train / 16.0, y_train)
print(f"held-out accuracy: {mlp.score(x_test / 16.0, y_test):.3f}")

w1, w2 = mlp.coefs_
b1, b2 = mlp.intercepts_
initializers = [
    numpy_helper.from_array((w1 / 16.0).astype(np.float32), "w1"),
    numpy_helper.from_array(b1.astype(np.float32), "b1"),
    numpy_helper.from_array(w2.astype(np.float32), "w2"),
    numpy_helper.from_array(b2.astype(np.float32), "b2"),
]
nodes = [
    helper.make_node("MatMul", ["pixels", "w1"], ["h1"]),
    helper.make_node("Add", ["h1", "b1"], ["h2"]),
    helper.make_node("Relu", ["h2"], ["h3"]),
    helper.make_node("MatMul", ["h3", "w2"], ["h4"]),
    helper.make_node("Add", ["h4", "b2"], ["logits"]),
    helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
]
graph = helper.make_graph(
    nodes,
    "digits_mlp",
    [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 64])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
    initializers,
)
model = helper.make_model(
    graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="peregrine-examples"
)
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, "digits.onnx"))

samples = []
probabilities = mlp.predict_proba(x_test[:8] / 16.0)
for pixels, label, probs in zip(x_test[:8], y_test[:8], probabilities):
    samples.append(
        {
            "pixels": [int(p) for p in pixels],
            "label": int(label),
            "probabilities": [round(float(p), 6) for p in probs],
        }
    )
with open(os.path.join(HERE, "samples.json"), "w", encoding="utf-8") as out:
    json.dump(samples, out)
    out.write("\n")
