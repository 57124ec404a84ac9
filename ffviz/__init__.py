"""ffviz: see and drive the theory of feed-forward neural networks."""

__version__ = "0.1.0"
