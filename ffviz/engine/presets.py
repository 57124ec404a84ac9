"""Presets: complete runs by name, each a network-file dict (so each is also an example file)."""

from __future__ import annotations

import copy

from ffviz.engine.config import RunConfig, from_dict
from ffviz.errors import FfvizError

DEFAULT_PRESET = "circle"


def _dense(units, activation, **kw):
    return {"units": units, "activation": activation, **kw}


_PRESETS: dict[str, dict] = {
    "circle": {
        "description": "A small tanh network learns to tell the inner disc from the ring (the default).",
        "layers": [{"units": 2}, _dense(4, "tanh"), _dense(2, "tanh"), _dense(1, "sigmoid")],
        "loss": "binary_crossentropy",
        "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 10},
        "init": {"name": "normal", "sigma": 0.5},
        "data": {"name": "circle", "samples": 300, "noise": 0.1, "test_fraction": 0.3, "features": ["x1", "x2"]},
        "seed": 1,
    },
    "lecture": {
        "description": "The slides' worked example: x = (0.50, 0.51), w = (0.35, 0.40), no bias, sigmoid, "
                       "y = 0.10, ½ squared error, learning rate 1.",
        "layers": [{"units": 2},
                   _dense(1, "sigmoid", use_bias=False, train_bias=False, kernel=[[0.35], [0.40]])],
        "loss": "half_squared_error",
        "optimizer": {"name": "sgd", "learning_rate": 1.0},
        "data": {"name": "lecture"},
        "seed": 0,
    },
    "perceptron": {
        "description": "Rosenblatt's perceptron: one step neuron and its learning rule on linearly separable data.",
        "layers": [{"units": 2}, _dense(1, "step")],
        "loss": "half_squared_error",
        "optimizer": {"name": "perceptron", "learning_rate": 0.1, "batch_size": 1},
        "init": {"name": "normal", "sigma": 0.5},
        "data": {"name": "separable", "samples": 100, "noise": 0.0, "test_fraction": 0.2,
                 "features": ["x1", "x2"]},
        "seed": 0,
    },
    "perceptron-xor": {
        "description": "The same perceptron on XOR (Minsky and Papert, 1969): no line separates it, so it never "
                       "gets every point right.",
        "layers": [{"units": 2}, _dense(1, "step")],
        "loss": "half_squared_error",
        "optimizer": {"name": "perceptron", "learning_rate": 0.1, "batch_size": 1},
        "init": {"name": "normal", "sigma": 0.5},
        "data": {"name": "xor-corners", "samples": 100, "noise": 0.1, "test_fraction": 0.2,
                 "features": ["x1", "x2"]},
        "seed": 0,
    },
    "xor": {
        "description": "A multi-layer perceptron solves XOR: one hidden layer of tanh units.",
        "layers": [{"units": 2}, _dense(4, "tanh"), _dense(1, "sigmoid")],
        "loss": "binary_crossentropy",
        "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 10},
        "init": {"name": "normal", "sigma": 0.5},
        "data": {"name": "xor", "samples": 300, "noise": 0.05, "test_fraction": 0.3, "features": ["x1", "x2"]},
        "seed": 0,
    },
    "xor-2": {
        "description": "The smallest MLP that solves XOR's truth table: two hidden sigmoid units.",
        "layers": [{"units": 2}, _dense(2, "sigmoid"), _dense(1, "sigmoid")],
        "loss": "binary_crossentropy",
        "optimizer": {"name": "sgd", "learning_rate": 1.0},
        "init": {"name": "normal", "sigma": 1.0},
        "data": {"name": "xor-corners", "samples": 4, "noise": 0.0, "test_fraction": 0.0,
                 "features": ["x1", "x2"]},
        "seed": 0,
    },
    "deep-sigmoid": {
        "description": "Six hidden sigmoid layers: the gradient shrinks by orders of magnitude towards the input "
                       "(vanishing gradients). Compare with deep-relu.",
        "layers": [{"units": 2}] + [_dense(4, "sigmoid") for _ in range(6)] + [_dense(1, "sigmoid")],
        "loss": "binary_crossentropy",
        "optimizer": {"name": "sgd", "learning_rate": 0.3, "batch_size": 10},
        "init": {"name": "normal", "sigma": 0.5},
        "data": {"name": "circle", "samples": 300, "noise": 0.1, "test_fraction": 0.3, "features": ["x1", "x2"]},
        "seed": 0,
    },
    "deep-relu": {
        "description": "The ReLU twin of deep-sigmoid: same depth, He initialisation; the gradient reaches the "
                       "first layer.",
        "layers": [{"units": 2}] + [_dense(4, "relu") for _ in range(6)] + [_dense(1, "sigmoid")],
        "loss": "binary_crossentropy",
        "optimizer": {"name": "sgd", "learning_rate": 0.03, "batch_size": 10},
        "init": {"name": "he"},
        "data": {"name": "circle", "samples": 300, "noise": 0.1, "test_fraction": 0.3, "features": ["x1", "x2"]},
        "seed": 0,
    },
    "spiral": {
        "description": "Two interleaved spirals: a deeper network with extra input features.",
        "layers": [{"units": 4}, _dense(8, "tanh"), _dense(8, "tanh"), _dense(1, "sigmoid")],
        "loss": "binary_crossentropy",
        "optimizer": {"name": "adam", "learning_rate": 0.01, "batch_size": 10},
        "init": {"name": "xavier"},
        "data": {"name": "spiral", "samples": 400, "noise": 0.05, "test_fraction": 0.3,
                 "features": ["x1", "x2", "sin(x1)", "sin(x2)"]},
        "seed": 0,
    },
    "softmax": {
        "description": "Three overlapping classes: a softmax output gives one probability per class, trained "
                       "with softmax cross-entropy. Where the blobs overlap no boundary is right for every point, "
                       "and training long enough fits the noise (train accuracy up, test accuracy down).",
        "layers": [{"units": 2}, _dense(8, "tanh"), _dense(3, "softmax")],
        "loss": "softmax_crossentropy",
        "optimizer": {"name": "adam", "learning_rate": 0.03, "batch_size": 10},
        "init": {"name": "xavier"},
        "data": {"name": "blobs-k", "classes": 3, "samples": 300, "noise": 0.5, "test_fraction": 0.3,
                 "features": ["x1", "x2"]},
        "seed": 0,
    },
    "regression": {
        "description": "Regression: a linear output fits a surface of Gaussian bumps with ½ squared error.",
        "layers": [{"units": 2}, _dense(8, "tanh"), _dense(8, "tanh"), _dense(1, "linear")],
        "loss": "half_squared_error",
        "optimizer": {"name": "adam", "learning_rate": 0.01, "batch_size": 10},
        "init": {"name": "xavier"},
        "data": {"name": "multi-gaussian", "samples": 400, "noise": 0.05, "test_fraction": 0.3,
                 "features": ["x1", "x2"]},
        "seed": 0,
    },
}


def preset_names() -> list[str]:
    return list(_PRESETS)


def preset_description(name: str) -> str:
    return _PRESETS[name]["description"]


def preset_dict(name: str) -> dict:
    """The preset as a network-file dict (a fresh copy)."""
    if name not in _PRESETS:
        raise FfvizError(f"unknown preset {name!r}; presets: {', '.join(_PRESETS)}")
    d = copy.deepcopy(_PRESETS[name])
    d["name"] = name
    return d


def load_preset(name: str) -> RunConfig:
    """The preset's validated config."""
    return from_dict(preset_dict(name))


# The presets that follow the slides, in the slides' order: (slide, preset, what to do with it).
LECTURE_ORDER = (
    ("This is a perceptron (1958)", "perceptron",
     "Rosenblatt's rule on two classes a line can separate: step it (Right) and watch the line move."),
    ("Perceptrons can only learn linearly separable classes", "perceptron-xor",
     "The same perceptron on XOR: it never gets every point right."),
    ("2: Multi-layer perceptron (1986)", "xor-2",
     "Two hidden sigmoid units solve XOR's truth table."),
    ("playground.tensorflow.org", "circle",
     "A small tanh network learns the circle; play (Space) and change anything in Controls."),
    ("Practical example: 1. Forward pass … 4. Weight update", "lecture",
     "The slides' worked example: step it phase by phase (P) and read every number."),
    ("Gradient vanishing", "deep-sigmoid",
     "Six sigmoid layers: colour the edges by gradient (G) and see the first layers go pale."),
    ("Gradient vanishing (and what ReLU changes)", "deep-relu",
     "The ReLU twin of deep-sigmoid: the gradient reaches the first layer."),
)
