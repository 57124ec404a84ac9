"""Panels: the window's controls and its explanatory side panels (unlike views, they edit the run or explain it)."""
