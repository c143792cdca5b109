"""Charts as SVG text for pages (the bulletin, service profiles), drawn with matplotlib.

The same figure always gives the same bytes: no creation date in the SVG, element ids salted with a fixed
string, and text kept as text (readable by screen readers and searchable) rather than drawn as paths.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("svg")  # no screen: the SVG backend draws without one

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.figure import Figure  # noqa: E402

STYLE = {
    "svg.hashsalt": "carestats",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Colours that stay distinct for readers with the common colour-vision deficiencies (GSS guidance).
MAIN, HIGHLIGHT, MUTED = "#12436D", "#F46A25", "#A0A0A0"


@contextmanager
def chart(width: float, height: float) -> Iterator[Figure]:
    """A figure of `width` by `height` inches in the house style, closed however the drawing ends."""
    with plt.rc_context(STYLE):
        figure = plt.figure(figsize=(width, height))
        try:
            yield figure
        finally:
            plt.close(figure)


def svg_text(figure: Figure, title: str) -> str:
    """The figure as an inline <svg> element titled for screen readers: the same figure, the same text."""
    with plt.rc_context(STYLE):
        sink = io.StringIO()
        figure.savefig(sink, format="svg", metadata={"Date": None, "Title": title}, bbox_inches="tight")
    text = sink.getvalue()
    return text[text.index("<svg") :]
