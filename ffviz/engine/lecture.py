"""The worked example of the slides, for any network: the formula each phase computed, with its numbers.

"1. Forward pass":  Σ = x₁w₁ + x₂w₂ = 0.50·0.35 + 0.51·0.40 = 0.379,  ŷ = g(Σ) = 1/(1 + e^−Σ) = 0.594
"2. Calculate loss": J = ½(y − ŷ)² = ½(0.10 − 0.594)² = 0.122,        ∂J/∂ŷ = ŷ − y = 0.494
"3. Backpropagate":  ∂ŷ/∂Σ = g(Σ)(1 − g(Σ)) = 0.241,  δ = ∂J/∂ŷ·∂ŷ/∂Σ = 0.119,  ∂J/∂w₁ = δ·x₁ = 0.0595
"4. Weight update":  w₁′ = w₁ − η·∂J/∂w₁ = 0.35 − 1·0.0595 = 0.290

A Formula is data: its left side, its symbolic right side (as text and as LaTeX) and the numbers put in, so the
window's formula strip, `ffviz explain` and an answer key in LaTeX all write the same thing (ffviz/explain.py
renders them). Every number is read from the update's trace: nothing is computed again here but the
substitutions the slides show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffviz.engine.snapshot import Phase, TraceView

FAN_IN_SHOWN = 4  # a weighted sum of more terms than this is shown as Σᵢ aᵢwᵢ
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


@dataclass(frozen=True)
class Op:
    """Text between the numbers of a substitution: an operator, a bracket, a function name."""

    text: str
    latex: str


@dataclass(frozen=True)
class Symbol:
    text: str
    latex: str


@dataclass(frozen=True)
class Formula:
    """lhs = symbolic = numbers = value. `numbers` mixes floats and Ops; empty when the symbolic side is the
    value itself. `note` says what is special about it (a batch mean, a rule)."""

    lhs: Symbol
    symbolic: Symbol
    numbers: tuple
    value: float
    phase: Phase
    note: str = ""


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


def _sym(text: str, latex: str) -> Symbol:
    return Symbol(text, latex)


TIMES = Op("·", r" \cdot ")
PLUS = Op(" + ", " + ")
MINUS = Op(" − ", " - ")


@dataclass(frozen=True)
class Names:
    """How the formulas name the network's quantities: the slides' w₁, w₂, Σ and ŷ for one neuron, layer
    superscripts beyond."""

    sizes: tuple  # input width, then each layer's units

    @property
    def one_neuron(self) -> bool:
        return len(self.sizes) == 2 and self.sizes[1] == 1

    def weight(self, layer: int, i: int, j: int) -> Symbol:
        if self.one_neuron:
            return _sym(f"w{_sub(i + 1)}", f"w_{{{i + 1}}}")
        return _sym(f"w{_sub(i + 1)}{_sub(j + 1)}{f'({layer})'.translate(_SUP)}", f"w^{{({layer})}}_{{{i + 1}{j + 1}}}")

    def bias(self, layer: int, j: int) -> Symbol:
        if self.one_neuron:
            return _sym("b", "b")
        return _sym(f"b{_sub(j + 1)}{f'({layer})'.translate(_SUP)}", f"b^{{({layer})}}_{{{j + 1}}}")

    def input(self, layer: int, i: int) -> Symbol:
        """The i-th input of `layer`: x for the first layer, the previous layer's a beyond."""
        if layer == 1:
            return _sym(f"x{_sub(i + 1)}", f"x_{{{i + 1}}}")
        return self.activation(layer - 1, i)

    def activation(self, layer: int, j: int) -> Symbol:
        if layer == len(self.sizes) - 1:
            return _sym("ŷ", r"\hat{y}") if self.sizes[-1] == 1 else _sym(f"ŷ{_sub(j + 1)}", f"\\hat{{y}}_{{{j + 1}}}")
        return _sym(f"a{_sub(j + 1)}{f'({layer})'.translate(_SUP)}", f"a^{{({layer})}}_{{{j + 1}}}")

    def sum(self, layer: int, j: int) -> Symbol:
        if self.one_neuron:
            return _sym("Σ", r"\Sigma")
        return _sym(f"Σ{_sub(j + 1)}{f'({layer})'.translate(_SUP)}", f"\\Sigma^{{({layer})}}_{{{j + 1}}}")

    def target(self, j: int) -> Symbol:
        return _sym("y", "y") if self.sizes[-1] == 1 else _sym(f"y{_sub(j + 1)}", f"y_{{{j + 1}}}")


def names_of(kernels) -> Names:
    return Names((int(kernels[0].shape[0]),) + tuple(int(k.shape[1]) for k in kernels))


def _f(values, s: int, j: int) -> float:
    return float(values[s, j])


# ---------------------------------------------------------------- forward

def forward_formulas(trace: TraceView, kernels, biases, activations, layer: int, unit: int, sample: int = 0,
                     names: Names | None = None) -> list[Formula]:
    """Σ and a of `unit` of `layer` (1-based) for one sample, as the forward pass computed them."""
    li, j, s = layer - 1, unit, sample
    names = names or names_of(kernels)
    ph = Phase("forward", layer)
    kernel, bias = kernels[li], biases[li]
    a_prev = trace.a[li]
    fan_in = kernel.shape[0]
    sym, num = [], []
    if fan_in <= FAN_IN_SHOWN:
        for i in range(fan_in):
            x, w = names.input(layer, i), names.weight(layer, i, j)
            sym.append(Symbol(x.text + w.text, x.latex + " " + w.latex))
            num += ([PLUS] if num else []) + [float(a_prev[s, i]), TIMES, float(kernel[i, j])]
        text = " + ".join(t.text for t in sym)
        latex = " + ".join(t.latex for t in sym)
    else:
        x0, w0 = names.input(layer, 0), names.weight(layer, 0, j)
        text, latex = f"Σᵢ {x0.text[0]}ᵢw{'ᵢ'}", r"\sum_i " + x0.latex[0] + r"_i w_i"
        num = [float(np.dot(a_prev[s], kernel[:, j])), Op(f" (the {fan_in} products)", rf"\ (\text{{{fan_in} products}})")]
    if bias is not None:
        b = names.bias(layer, j)
        text, latex = text + " + " + b.text, latex + " + " + b.latex
        num += [PLUS, float(bias[j])]
    out = [Formula(names.sum(layer, j), Symbol(text, latex), tuple(num), _f(trace.z[li], s, j), ph)]
    if trace.a[layer] is not None:
        out.append(_activation_formula(activations[li], names, layer, j, _f(trace.z[li], s, j),
                                       _f(trace.a[layer], s, j), ph))
    return out


def _activation_formula(act, names: Names, layer: int, j: int, z: float, a: float, ph: Phase) -> Formula:
    lhs, zs = names.activation(layer, j), names.sum(layer, j)
    forms = {
        "sigmoid": (f"g({zs.text}) = 1/(1 + e^−{zs.text})", rf"g({zs.latex}) = \frac{{1}}{{1 + e^{{-{zs.latex}}}}}",
                    (Op("1/(1 + e^−", r"\frac{1}{1 + e^{-"), z, Op(")", "}}"))),
        "tanh": (f"tanh({zs.text})", rf"\tanh({zs.latex})", (Op("tanh(", r"\tanh("), z, Op(")", ")"))),
        "relu": (f"max(0, {zs.text})", rf"\max(0, {zs.latex})", (Op("max(0, ", r"\max(0, "), z, Op(")", ")"))),
        "leaky_relu": (f"{zs.text} if {zs.text} > 0 else 0.01·{zs.text}",
                       rf"{zs.latex} \text{{ if }} {zs.latex} > 0 \text{{ else }} 0.01\,{zs.latex}",
                       (z, Op(" if > 0, else 0.01·", r"\text{ if } > 0 \text{, else } 0.01 \cdot "), z)),
        "linear": (zs.text, zs.latex, ()),
        "step": (f"1 if {zs.text} > 0 else 0", rf"1 \text{{ if }} {zs.latex} > 0 \text{{ else }} 0",
                 (Op("1 if ", r"1 \text{ if } "), z, Op(" > 0 else 0", r" > 0 \text{ else } 0"))),
        "softmax": (f"e^{zs.text} / Σₖ e^Σₖ", rf"\frac{{e^{{{zs.latex}}}}}{{\sum_k e^{{\Sigma_k}}}}",
                    (Op("e^", "e^{"), z, Op(" / Σₖ e^Σₖ", r"} / \sum_k e^{\Sigma_k}"))),
    }
    text, latex, numbers = forms.get(act.name, (act.formula, act.formula, (z,)))
    return Formula(lhs, Symbol(text, latex), numbers, a, ph)


# ---------------------------------------------------------------- loss

def loss_formulas(trace: TraceView, loss, sample: int = 0, names: Names | None = None) -> list[Formula]:
    """J (and, for a batch, this sample's L), and ∂J/∂ŷ (the perceptron: its error y − ŷ)."""
    names = names or Names((trace.a[0].shape[1],) + tuple(z.shape[1] for z in trace.z))
    ph, s, n = Phase("loss"), sample, trace.n
    y, yhat = trace.y[s], trace.a[-1][s]
    k = y.shape[0]
    one = names.target(0), names.activation(len(trace.z), 0)
    per = float(trace.per_sample_loss[s])
    lhs = _sym("J", "J") if n == 1 else _sym("L", "L")
    if loss.name == "half_squared_error":
        if k == 1:
            sym = Symbol(f"½({one[0].text} − {one[1].text})²", rf"\frac{{1}}{{2}}({one[0].latex} - {one[1].latex})^2")
            nums = (Op("½(", r"\frac{1}{2}("), float(y[0]), MINUS, float(yhat[0]), Op(")²", ")^2"))
        else:
            sym, nums = Symbol("½ Σₖ (yₖ − ŷₖ)²", r"\frac{1}{2}\sum_k (y_k - \hat{y}_k)^2"), ()
    elif loss.name == "binary_crossentropy":
        sym = Symbol(f"−[y log ŷ + (1 − y) log(1 − ŷ)]", r"-[y \log \hat{y} + (1 - y)\log(1 - \hat{y})]")
        nums = (Op("−[", "-["), float(y[0]), Op("·log ", r"\log "), float(yhat[0]), Op(" + (1 − ", " + (1 - "),
                float(y[0]), Op(")·log(1 − ", r")\log(1 - "), float(yhat[0]), Op(")]", ")]")) if k == 1 else ()
    else:
        c = int(np.argmax(y))
        sym = Symbol("−Σₖ yₖ log ŷₖ", r"-\sum_k y_k \log \hat{y}_k")
        nums = (Op(f"−log ŷ{_sub(c + 1)} = −log ", rf"-\log \hat{{y}}_{{{c + 1}}} = -\log "), float(yhat[c]))
    out = [Formula(lhs, sym, nums, per, ph, "" if n == 1 else f"this sample's loss; J is its mean over the batch")]
    if n > 1:
        out.append(Formula(_sym("J", "J"), Symbol("(1/n) Σₛ L", r"\frac{1}{n}\sum_s L_s"), (), float(trace.loss),
                           ph, f"the mean over the batch of {n}"))
    if trace.perceptron:
        out.append(Formula(_sym("y − ŷ", "y - \\hat{y}"), Symbol("y − ŷ", "y - \\hat{y}"), (float(y[0]), MINUS, float(yhat[0])),
                           float(y[0] - yhat[0]), ph, "the error the perceptron rule corrects"))
    elif trace.dJ_dyhat is not None and k == 1:
        g = float(trace.dJ_dyhat[s, 0])
        over_n = "" if n == 1 else "/n"
        sym, nums = {
            "half_squared_error": (Symbol("ŷ − y" if n == 1 else "(ŷ − y)/n", r"\hat{y} - y" if n == 1 else r"(\hat{y} - y)/n"), (float(yhat[0]), MINUS, float(y[0]))),
            "binary_crossentropy": (Symbol(f"(ŷ − y)/(ŷ(1 − ŷ)){over_n}", r"\frac{\hat{y} - y}{\hat{y}(1 - \hat{y})}" + over_n), ()),
        }.get(loss.name, (Symbol(f"∂L/∂ŷ{over_n}", r"\frac{\partial L}{\partial \hat{y}}" + over_n), ()))
        out.append(Formula(_sym("∂J/∂ŷ", r"\frac{\partial J}{\partial \hat{y}}"), sym, nums, g, ph))
    return out


# ---------------------------------------------------------------- backward

def backward_formulas(trace: TraceView, kernels, activations, layer: int, unit: int, sample: int = 0,
                      names: Names | None = None, inputs=None) -> list[Formula]:
    """g'(Σ), δ = ∂J/∂Σ and ∂J/∂w of the weights into `unit` (the first `inputs`, default all up to
    FAN_IN_SHOWN), and ∂J/∂b, for the backward pass through `layer`."""
    names = names or names_of(kernels)
    li, j, s, n = layer - 1, unit, sample, trace.n
    ph = Phase("backward", layer)
    out = []
    is_out = li == len(trace.z) - 1
    act = activations[li]
    a_sym, z_sym = names.activation(layer, j), names.sum(layer, j)
    d = _f(trace.delta[li], s, j)
    if is_out and trace.fused:
        yhat, y = _f(trace.a[layer], s, j), _f(trace.y, s, j)
        over_n = "" if n == 1 else "/n"
        out.append(Formula(_sym("δ", r"\delta"), Symbol("ŷ − y" if n == 1 else "(ŷ − y)/n",
                                                          r"\hat{y} - y" if n == 1 else r"(\hat{y} - y)/n"),
                           (yhat, MINUS, y) if n == 1 else (Op("(", "("), yhat, MINUS, y, Op(f")/{n}", f")/{n}")),
                           d, ph, "the perceptron rule's error" if trace.perceptron
                           else "loss and output activation combined"))
    else:
        gp = _f(trace.g_prime[li], s, j)
        a = _f(trace.a[layer], s, j)
        der = {"sigmoid": (f"g({z_sym.text})(1 − g({z_sym.text}))", rf"g({z_sym.latex})(1 - g({z_sym.latex}))",
                           (a, Op("·(1 − ", r" \cdot (1 - "), a, Op(")", ")"))),
               "tanh": ("1 − a²", "1 - a^2", (Op("1 − ", "1 - "), a, Op("²", "^2"))),
               "relu": (f"1 if {z_sym.text} > 0 else 0", rf"1 \text{{ if }} {z_sym.latex} > 0 \text{{ else }} 0", ()),
               "linear": ("1", "1", ())}
        text, latex, nums = der.get(act.name, (act.derivative_formula, act.derivative_formula, ()))
        out.append(Formula(Symbol(f"∂{a_sym.text}/∂{z_sym.text}", rf"\frac{{\partial {a_sym.latex}}}{{\partial {z_sym.latex}}}"),
                           Symbol(text, latex), nums, gp, ph))
        if is_out:
            g = _f(trace.dJ_dyhat, s, j)
            out.append(Formula(_sym("δ", r"\delta"),
                               Symbol(f"∂J/∂{a_sym.text} · ∂{a_sym.text}/∂{z_sym.text}",
                                      rf"\frac{{\partial J}}{{\partial {a_sym.latex}}} \cdot \frac{{\partial {a_sym.latex}}}{{\partial {z_sym.latex}}}"),
                               (g, TIMES, gp), d, ph))
        else:
            back = float(trace.delta[li + 1][s] @ np.asarray(kernels[li + 1])[j])
            out.append(Formula(_sym("δ", r"\delta"),
                               Symbol(f"(Σₖ δₖ w{_sub(j + 1)}ₖ) · ∂{a_sym.text}/∂{z_sym.text}",
                                      rf"(\sum_k \delta_k w_{{{j + 1}k}}) \cdot \frac{{\partial {a_sym.latex}}}{{\partial {z_sym.latex}}}"),
                               (back, TIMES, gp), d, ph, "the next layer's δ sent back through its weights"))
    shown = range(min(trace.a[li].shape[1], FAN_IN_SHOWN)) if inputs is None else inputs
    grads = trace.grad_kernels[li]
    for i in shown:
        w, x = names.weight(layer, i, j), names.input(layer, i)
        xi = float(trace.a[li][s, i])
        # one sample: the product itself; a batch: the sum, and this sample's product in the note
        nums = (d, TIMES, xi) if n == 1 else ()
        note = "" if n == 1 else "∂J/∂w sums δ·input over the batch"
        out.append(Formula(Symbol(f"∂J/∂{w.text}", rf"\frac{{\partial J}}{{\partial {w.latex}}}"),
                           Symbol(f"δ·{x.text}" if n == 1 else f"Σₛ δ·{x.text}",
                                  rf"\delta \cdot {x.latex}" if n == 1 else rf"\sum_s \delta \cdot {x.latex}"),
                           nums, float(grads[i, j]) if grads is not None else d * float(trace.a[li][s, i]), ph, note))
    if trace.grad_biases[li] is not None:
        b = names.bias(layer, j)
        out.append(Formula(Symbol(f"∂J/∂{b.text}", rf"\frac{{\partial J}}{{\partial {b.latex}}}"),
                           Symbol("δ" if n == 1 else "Σₛ δ", r"\delta" if n == 1 else r"\sum_s \delta"),
                           (), float(trace.grad_biases[li][j]), ph))
    return out


# ---------------------------------------------------------------- update

def update_formulas(trace: TraceView, layer: int, unit: int, names: Names | None = None, inputs=None,
                    optimizer: str = "sgd", train_only=None) -> list[Formula]:
    """w′ = w − η·∂J/∂w for the weights into `unit` of `layer` (and its bias), with the update's numbers.
    With `train_only` (optimizer.train_only: the parameter names that train), every other weight reads
    w′ = w: it has a gradient, but the update leaves it where it is."""
    names = names or names_of(trace.old_kernels)
    li, j = layer - 1, unit
    ph = Phase("update")
    out = []
    old, new = trace.old_kernels[li], trace.new_kernels[li]
    grads = trace.grad_kernels[li]
    shown = range(min(old.shape[0], FAN_IN_SHOWN)) if inputs is None else inputs
    plain = optimizer in ("sgd", "perceptron")
    rule = "" if plain else f"the {optimizer} rule: w′ = w + Δw with its own Δw"
    frozen_rule = "frozen: only the chosen weights train (the loss surface's “freeze the others”)"

    def frozen(name: str) -> bool:
        return train_only is not None and name not in train_only

    for i in shown:
        w = names.weight(layer, i, j)
        prime = Symbol(w.text + "′", "{" + w.latex + "}'")
        if frozen(f"kernel{layer}[{i},{j}]"):
            out.append(Formula(prime, Symbol(w.text, w.latex), (), float(new[i, j]), ph,
                               frozen_rule))
            continue
        if plain:
            sym = Symbol(f"{w.text} − η·∂J/∂{w.text}", rf"{w.latex} - \eta \cdot \frac{{\partial J}}{{\partial {w.latex}}}")
            nums = (float(old[i, j]), MINUS, float(trace.learning_rate), TIMES, float(grads[i, j]))
        else:
            sym = Symbol(f"{w.text} + Δ{w.text}", rf"{w.latex} + \Delta {w.latex}")
            nums = (float(old[i, j]), PLUS, float(new[i, j] - old[i, j]))
        out.append(Formula(prime, sym, nums, float(new[i, j]), ph, rule))
    if trace.old_biases[li] is not None and trace.grad_biases[li] is not None:
        b = names.bias(layer, j)
        ob, nb = trace.old_biases[li][j], trace.new_biases[li][j]
        if frozen(f"bias{layer}[{j}]"):
            out.append(Formula(Symbol(b.text + "′", "{" + b.latex + "}'"), Symbol(b.text, b.latex), (),
                               float(nb), ph, frozen_rule))
            return out
        nums = ((float(ob), MINUS, float(trace.learning_rate), TIMES, float(trace.grad_biases[li][j])) if plain
                else (float(ob), PLUS, float(nb - ob)))
        out.append(Formula(Symbol(b.text + "′", "{" + b.latex + "}'"),
                           Symbol(f"{b.text} − η·∂J/∂{b.text}", rf"{b.latex} - \eta \cdot \frac{{\partial J}}{{\partial {b.latex}}}")
                           if plain else Symbol(f"{b.text} + Δ{b.text}", rf"{b.latex} + \Delta {b.latex}"),
                           nums, float(nb), ph, rule))
    return out


def phase_formulas(trace: TraceView, kernels, biases, activations, loss, unit: int = 0, sample: int = 0,
                   optimizer: str = "sgd", train_only=None) -> list[Formula]:
    """The formulas of the trace's last phase, for one unit of the phase's layer (the output's, for the loss
    and the update) and one sample of the batch. `kernels`, `biases`: the weights the update started from."""
    ph = trace.last_phase
    if ph is None:
        return []
    names = names_of(kernels)
    if ph.kind == "forward":
        return forward_formulas(trace, kernels, biases, activations, ph.layer, unit, sample, names)
    if ph.kind == "loss":
        return loss_formulas(trace, loss, sample, names)
    if ph.kind == "backward":
        return backward_formulas(trace, kernels, activations, ph.layer, unit, sample, names)
    return update_formulas(trace, len(trace.z), unit, names, optimizer=optimizer, train_only=train_only)
