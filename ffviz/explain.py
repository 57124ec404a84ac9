"""Writing the lecture's formulas (engine/lecture.py) and chain rules (engine/chain.py) out: as one line of text
for the window's formula strip, and as a whole derivation for `ffviz explain` in text, Markdown or LaTeX.

No Qt: the command line uses this too. Numbers go through ui/format.py (Qt-free), so they read as on screen.
"""

from __future__ import annotations

from ffviz.engine.lecture import Formula, Op, backward_formulas, forward_formulas, loss_formulas, names_of, update_formulas
from ffviz.ui import format as fmt

FORMATS = ("text", "markdown", "latex")
HIDDEN = "?"  # what the quiz shows for a number not revealed yet


def _num(value: float, precision, latex: bool = False) -> str:
    text = fmt.number(value, precision)
    if latex:
        text = text.replace(fmt.MINUS, "-").replace("∞", r"\infty")
        if "e" in text and "nan" not in text.lower():
            mant, exp = text.split("e")
            text = rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def _substitution(numbers, precision, latex: bool) -> str:
    """The numbers put into a formula; a negative one after an operator in brackets: 1.64·(−0.458)."""
    out = []
    for k, t in enumerate(numbers):
        if isinstance(t, Op):
            out.append(t.latex if latex else t.text)
            continue
        shown = _num(t, precision, latex)
        if k > 0 and t < 0 and isinstance(numbers[k - 1], Op):
            shown = f"({shown})"
        out.append(shown)
    return "".join(out)


def formula_text(f: Formula, precision=fmt.SIG3, hide_value: bool = False) -> str:
    """`lhs = symbolic = numbers = value` in Unicode text (the symbolic part is left out where it is the
    substitution itself)."""
    parts = [f.lhs.text, f.symbolic.text]
    if f.numbers:
        parts.append(_substitution(f.numbers, precision, latex=False))
    parts.append(HIDDEN if hide_value else _num(f.value, precision))
    return " = ".join(dict.fromkeys(parts))  # "a = Σ = Σ" reads better as "a = Σ"


def formula_latex(f: Formula, precision=fmt.SIG3) -> str:
    parts = [f.lhs.latex, f.symbolic.latex]
    if f.numbers:
        parts.append(_substitution(f.numbers, precision, latex=True))
    parts.append(_num(f.value, precision, latex=True))
    lhs, *rest = list(dict.fromkeys(parts))
    return lhs + " &= " + r" \\ &= ".join(rest) if len(rest) > 2 else lhs + " &= " + " = ".join(rest)


# ---------------------------------------------------------------- the whole derivation of one weight's update

def _chain_lines(chain, names, precision, fmt_kind: str, sample: int = 0) -> list[str]:
    """The chain rule of one weight: its factors (and paths), each factor's symbol, meaning and value, for
    one sample; with a batch, ∂J/∂w is the sum of the samples' products."""
    out = []
    s = sample
    n = chain.terms.shape[0]
    j = chain.index[-1]
    symbol = names.weight(chain.layer, chain.index[0], j) if chain.kind == "kernel" else names.bias(chain.layer, j)

    def value(v):
        return _num(v, precision, latex=fmt_kind == "latex")

    def factor_line(f):
        if fmt_kind == "latex":
            symbol, note = _latex_symbol(f.symbol), _latex_text(f.description)
            return rf"& {symbol} = {value(f.values[s])} && \text{{{note}}}"
        return f"  {f.symbol:8s} = {value(f.values[s]):>12s}   ({f.description})"

    def factor_value(v):
        return f"({value(v)})" if v < 0 else value(v)

    product = " · ".join(factor_value(f.values[s]) for f in chain.factors)
    head = " · ".join(f.symbol for f in chain.factors)
    latex = fmt_kind == "latex"
    if latex:  # the chain in display maths; the sums below it are sentences with inline maths
        out.append(r"\[")
        out.append(r"\begin{aligned}")
        head_tex, product_tex = _latex_symbol(head), product.replace("·", r"\cdot ")
        out.append(rf"\frac{{\partial J}}{{\partial {symbol.latex}}} &= {head_tex} \\")
        out += [factor_line(f) + r" \\" for f in chain.factors]
        out.append(rf"&= {product_tex} = {value(chain.terms[s])}")
        out.append(r"\end{aligned}")
        out.append(r"\]")
        gradient = rf"$\frac{{\partial J}}{{\partial {symbol.latex}}}"
        times = r" \cdot "
        arrow = r" $\to$ "
    else:
        out.append(f"∂J/∂{symbol.text} = {head}")
        out += [factor_line(f) for f in chain.factors]
        out.append(f"       = {product} = {value(chain.terms[s])}")
        gradient, times, arrow = f"∂J/∂{symbol.text}", " · ", " → "

    def maths(text):  # a value or product inline: $…$ in LaTeX
        return f"${text}$" if latex else text

    if n > 1:
        share = (f"that is this sample's share; summed over the batch of {n}: {gradient} = "
                 f"{value(chain.data_gradient)}" + ("$" if latex else ""))
        out.append(share[0].upper() + share[1:] + "." if latex else share)
    if chain.path_count > 1:
        if chain.paths:
            sum_of = r"$\partial J/\partial w$" if latex else "∂J/∂w"
            out.append(f"{chain.path_count} paths lead from this weight to the outputs; {sum_of} is the sum of "
                       "their products:")
            if latex:
                out.append(r"\begin{itemize}")
            for p in chain.paths:
                via = arrow.join(f"layer {l} unit {u + 1}" for l, u in p.units)
                terms = maths(times.join(factor_value(f.values[s]) for f in p.factors) + f" = {value(p.terms[s])}")
                out.append((r"\item " if latex else "  ") + f"via {via}: {terms}")
            if latex:
                out.append(r"\end{itemize}")
            out.append(("" if latex else "  ") + f"sum = {maths(value(sum(float(p.terms[s]) for p in chain.paths)))}")
        else:
            factor = r"$\partial J/\partial a$" if latex else "∂J/∂a"
            out.append(f"{chain.path_count} paths lead from this weight to the outputs: backpropagation sums them "
                       f"into the one factor {factor} above.")
    if chain.regularization:
        out.append(f"+ regularization {maths(value(chain.regularization))} = {maths(value(chain.gradient))}")
    if fmt_kind == "markdown":
        out = ["```"] + out + ["```"]
    return out


def _latex_symbol(text: str) -> str:
    """A factor's symbol (∂J/∂ŷ · ∂ŷ/∂Σ) in LaTeX maths."""
    for a, b in (("∂", r"\partial "), ("ŷ", r"\hat{y}"), ("Σ", r"\Sigma"), ("·", r"\cdot ")):
        text = text.replace(a, b)
    return text


def _latex_text(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                 ("∂", r"$\partial$"), ("Σ", r"$\Sigma$"), ("ŷ", r"$\hat{y}$"), ("·", r"$\cdot$"), ("−", "-"),
                 ("→", r"$\to$"), ("η", r"$\eta$"), ("δ", r"$\delta$")):
        text = text.replace(a, b)
    return text


def explain(trainer, layer: int, kind: str, index, format: str = "text", precision=fmt.SIG3) -> str:
    """The next update of `trainer`'s run, phase by phase, for one weight: the forward numbers along its
    unit, the loss, every chain-rule factor of its gradient, and its update. The trainer takes the update."""
    from ffviz.errors import FfvizError
    if format not in FORMATS:
        raise FfvizError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    trainer.layout.index(layer, kind, index)  # one line for a weight this network does not have
    k0 = trainer.step_count
    kernels, biases = tuple(trainer.kernels), tuple(trainer.biases)
    names = names_of(kernels)
    sections: list[tuple[str, list]] = []
    unit = index[-1]
    while True:
        ph = trainer.step_phase()
        if ph is None:
            raise FfvizError(f"training diverged during update {k0 + 1}: {trainer.diverged.reason}")
        tr = trainer.trace
        if ph.kind == "forward":
            # the unit the weight feeds, and on the way every layer's first unit (where it goes next)
            u = unit if ph.layer == layer else 0
            sections.append((f"Forward pass, layer {ph.layer}", forward_formulas(tr, kernels, biases, trainer.activations,
                                                                                  ph.layer, u, 0, names)))
        elif ph.kind == "loss":
            sections.append(("Loss", loss_formulas(tr, trainer.loss_fn, 0, names)))
        elif ph.kind == "backward" and ph.layer == layer:
            inputs = [index[0]] if kind == "kernel" else []
            sections.append((f"Backward pass, layer {ph.layer}",
                             backward_formulas(tr, kernels, trainer.activations, layer, unit, 0, names, inputs)))
            chain = trainer.chain_rule(layer, kind, tuple(index))
        elif ph.kind == "update":
            inputs = [index[0]] if kind == "kernel" else []
            upd = update_formulas(tr, layer, unit, names, inputs, trainer.config.optimizer.name,
                                  trainer.config.optimizer.train_only)
            if kind == "bias":
                upd = upd[-1:]
            sections.append(("Weight update", upd))
            break
    return _render(trainer, sections, chain, names, layer, kind, index, k0, format, precision)


def _weight_name(layer: int, kind: str, index) -> str:
    return f"kernel{layer}[{index[0]},{index[1]}]" if kind == "kernel" else f"bias{layer}[{index[0]}]"


def _render(trainer, sections, chain, names, layer, kind, index, k0, format, precision) -> str:
    tr = trainer.trace
    n = tr.n
    name = _weight_name(layer, kind, index)
    title = f"Update {k0 + 1} of {trainer.config.name or 'the network'}: {name}"
    sample = "the only sample" if n == 1 else f"sample 1 of the batch of {n} (gradients are sums over the batch)"
    lines: list[str] = []
    if format == "latex":
        lines += [f"% {title}; {sample}", r"% needs \usepackage{amsmath}"]
        for heading, formulas in sections:
            lines.append(rf"\paragraph{{{_latex_text(heading)}}}")
            lines.append(r"\begin{align*}")
            lines += [formula_latex(f, precision) + (r" \\" if i < len(formulas) - 1 else "")
                      for i, f in enumerate(formulas)]
            lines.append(r"\end{align*}")
            if heading.startswith("Backward"):
                lines.append(rf"\paragraph{{The chain rule for {_latex_text(name)}}}")
                lines += _chain_lines(chain, names, precision, "latex")
        return "\n".join(lines) + "\n"
    h = (lambda t: f"## {t}") if format == "markdown" else (lambda t: f"{t}\n{'-' * len(t)}")
    lines.append(f"# {title}" if format == "markdown" else f"{title}\n{'=' * len(title)}")
    lines.append(f"Numbers of {sample}.")
    for heading, formulas in sections:
        lines += ["", h(heading)]
        for f in formulas:
            line = formula_text(f, precision) + (f"   ({f.note})" if f.note else "")
            lines.append(f"- {line}" if format == "markdown" else line)
        if heading.startswith("Backward"):
            lines += ["", h(f"The chain rule for {name}")]
            lines += _chain_lines(chain, names, precision, format)
    return "\n".join(lines) + "\n"
