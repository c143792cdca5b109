"""Where text lands on printed pages: poppler's pdftotext boxes of a PDF, read back to check a layout.

A line is what pdftotext groups as one line of words; its box spans its glyphs' full height (ascent to
descent), so two lines whose boxes cross are text drawn over text, as a reader sees it on paper.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

XHTML = "{http://www.w3.org/1999/xhtml}"
FOOTER = re.compile(r"^(?P<sheet>.+): page (?P<page>\d+) of (?P<pages>\d+)$")  # the workbook's page footer
# The lines of one wrapped cell sit closer than their glyph boxes are tall: in DejaVu Sans the boxes cross
# by 11% of a line's height. Boxes that cross by less than this share of the shorter line are not overlap;
# text run into the next row crosses by a third or more.
LINE_OVERLAP_ALLOWED = 0.2


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in points, y growing downwards as pdftotext gives it."""

    x_min: float
    y_min: float
    x_max: float
    y_max: float

    def overlap(self, other: Box) -> tuple[float, float]:
        """How far two boxes cross, across and down (zero or less when they do not)."""
        across = min(self.x_max, other.x_max) - max(self.x_min, other.x_min)
        down = min(self.y_max, other.y_max) - max(self.y_min, other.y_min)
        return across, down


@dataclass(frozen=True)
class Line:
    """One line of text and its box."""

    text: str
    box: Box
    words: tuple[tuple[str, Box], ...]


@dataclass
class Page:
    """One printed page: its size, its lines and the sheet its footer names."""

    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)

    @property
    def sheet(self) -> str | None:
        """The sheet this page prints, from its footer ("Cover: page 1 of 9"), or None without one."""
        for line in reversed(self.lines):
            found = FOOTER.match(line.text)
            if found:
                return found["sheet"]
        return None

    @property
    def text(self) -> str:
        """Every line's text in reading order, one a line."""
        return "\n".join(line.text for line in self.lines)

    def overlapping_lines(self) -> list[tuple[Line, Line]]:
        """Pairs of lines drawn over each other (see LINE_OVERLAP_ALLOWED)."""
        found = []
        lines = sorted(self.lines, key=lambda line: line.box.y_min)
        for index, first in enumerate(lines):
            for second in lines[index + 1 :]:
                if second.box.y_min >= first.box.y_max:
                    break  # this line and every later one start below the first
                across, down = first.box.overlap(second.box)
                shorter = min(first.box.y_max - first.box.y_min, second.box.y_max - second.box.y_min)
                if across > 0 and down > LINE_OVERLAP_ALLOWED * shorter:
                    found.append((first, second))
        return found

    def words_outside(self) -> list[str]:
        """Words that run off the paper, which a printer cuts."""
        return [
            text
            for line in self.lines
            for text, box in line.words
            if box.x_min < 0 or box.y_min < 0 or box.x_max > self.width or box.y_max > self.height
        ]


def poppler_tool(name: str) -> str:
    """A poppler-utils program: a failure in CI when it is missing, a skip only on a developer's machine."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} is missing: apt-get install poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def pdf_pages(pdf: Path) -> list[Page]:
    """Every page of a PDF with its lines and words, as `pdftotext -bbox-layout` places them."""
    layout = subprocess.run(
        [poppler_tool("pdftotext"), "-bbox-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    pages = []
    for number, page in enumerate(ET.fromstring(layout).iter(f"{XHTML}page"), start=1):
        found = Page(number, float(page.get("width")), float(page.get("height")))
        for line in page.iter(f"{XHTML}line"):
            words = tuple((word.text or "", _box(word)) for word in line.iter(f"{XHTML}word"))
            found.lines.append(Line(" ".join(text for text, _ in words), _box(line), words))
        pages.append(found)
    return pages


def _box(element: ET.Element) -> Box:
    return Box(*(float(element.get(name)) for name in ("xMin", "yMin", "xMax", "yMax")))


def squeezed(text: str) -> str:
    """Text without its spaces and line breaks, ligatures spelt out: to find words a line break split."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def save_page_images(pdf: Path, folder: Path, stem: str) -> list[Path]:
    """Every page as a PNG in `folder` (replacing an earlier run's), for a person to see what the test saw."""
    folder.mkdir(parents=True, exist_ok=True)
    for earlier in folder.glob(f"{stem}-*.png"):
        earlier.unlink()
    subprocess.run(
        [poppler_tool("pdftoppm"), "-r", "60", "-png", str(pdf), str(folder / stem)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(folder.glob(f"{stem}-*.png"))
