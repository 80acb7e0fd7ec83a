"""The one-page dashboard of a run, composed from figures already drawn.

The report draws each figure once; the dashboard pastes those images onto one page
(a title bar, then the figures in rows: a wide figure alone, two narrow ones side
by side) instead of drawing every panel a second time.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

__all__ = ["compose_dashboard"]

#: Figures at most this wide (px) are paired side by side.
NARROW = 1000
_MARGIN = 12
_TITLE_HEIGHT = 56


def _rows(images: Sequence[Image.Image]) -> list[list[Image.Image]]:
    rows: list[list[Image.Image]] = []
    for img in images:
        if img.width <= NARROW and rows and len(rows[-1]) == 1 and rows[-1][0].width <= NARROW:
            rows[-1].append(img)
        else:
            rows.append([img])
    return rows


def compose_dashboard(images: Sequence[Image.Image], title: str) -> Image.Image:
    """Paste ``images`` (in order) onto one white page under ``title``.

    Parameters
    ----------
    images
        The report's figures as RGB images (at least one).
    title
        Headline of the page.

    Returns
    -------
    PIL.Image.Image
        An RGB image as wide as the widest row.
    """
    if not images:
        raise ValueError("images: give at least one figure")
    rows = _rows(images)
    width = max(sum(i.width for i in row) + _MARGIN * (len(row) + 1) for row in rows)
    height = _TITLE_HEIGHT + sum(max(i.height for i in row) + _MARGIN for row in rows)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    font_file = font_manager.findfont(
        font_manager.FontProperties(family="DejaVu Sans", weight="bold")
    )
    draw.text((_MARGIN, 14), title, fill="#222222", font=ImageFont.truetype(font_file, 26))
    y = _TITLE_HEIGHT
    for row in rows:
        used = sum(i.width for i in row) + _MARGIN * (len(row) - 1)
        x = (width - used) // 2
        for img in row:
            page.paste(img.convert("RGB"), (x, y))
            x += img.width + _MARGIN
        y += max(i.height for i in row) + _MARGIN
    return page
