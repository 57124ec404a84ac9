"""The Qt side: it draws snapshots and sends commands; the maths lives in ffviz.engine."""
