"""The HTML of the reports: one self-contained page (styles inline, images as data URIs).

A page fetches nothing: it can be mailed, attached or opened offline. Every figure
appears once. A run page tells the story first — the regime with the rule that gives
it, the article's gauges in words, the timeline, the story's figures — then the
detail: the key numbers and the remaining figures.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runs.story import TimelineItem

__all__ = ["Shown", "run_page", "sweep_page"]


@dataclass(frozen=True)
class Shown:
    """A figure on a page: file stem, section (``story`` or ``detail``), caption, PNG bytes."""

    stem: str
    section: str
    caption: str
    png: bytes


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1560px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { text-align: left; padding: 0.25em 1em; border-bottom: 1px solid #eee;
         vertical-align: top; }
th { color: #555; font-weight: normal; }
figure { margin: 0 0 2em 0; } img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.92em; max-width: 70em; }
.regime { font-size: 1.15em; } .label { font-weight: bold; padding: 0.1em 0.5em;
          border-radius: 0.3em; background: #eef; }
.rule { color: #444; } ul.timeline { padding-left: 1.2em; list-style: none; }
ul.timeline li { margin: 0.15em 0; } .when { display: inline-block; min-width: 8.5em;
          color: #555; font-variant-numeric: tabular-nums; }
""".strip()


def _e(text: object) -> str:
    return html.escape(str(text))


def _figure(f: Shown) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    return (
        f'<figure id="fig-{_e(f.stem)}"><img src="data:image/png;base64,{data}" '
        f'alt="{_e(f.caption)}"><figcaption>{_e(f.caption)}</figcaption></figure>'
    )


def _table(numbers: Mapping[str, str]) -> str:
    rows = "\n".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in numbers.items())
    return f"<table>\n{rows}\n</table>"


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_CSS}\n</style></head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n{body}\n</body></html>\n"
    ).encode()


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3g}"
    return str(v)


def run_page(
    title: str,
    *,
    regime: str,
    rule: str,
    regime_figures: Mapping[str, Any],
    outcome: str,
    timeline: Sequence[TimelineItem] | None,
    facts: Sequence[str],
    figures: Sequence[Shown],
    numbers: Mapping[str, str],
) -> bytes:
    """The run report's HTML: the story first, then the detail.

    The story: the regime with the rule that gives it and the outcome, the timeline,
    the article's gauges in words and the story's figures; the detail: the key
    numbers and the other figures.
    """
    parts = ['<section id="story">', "<h2>What happened</h2>"]
    if regime:
        parts.append(
            f'<p class="regime">Regime: <span class="label">{_e(regime.replace("_", " "))}'
            f"</span>"
            + (f' — <span class="rule">the rule: {_e(rule)}</span>' if rule else "")
            + "</p>"
        )
        if regime_figures:
            read = ", ".join(
                f"{k.removeprefix('regime_').replace('_', ' ')} {_value(v)}"
                for k, v in regime_figures.items()
            )
            parts.append(f'<p class="rule">Read from: {_e(read)}.</p>')
    else:
        parts.append("<p>No regime label: this run directory has no summary.json.</p>")
    if outcome:
        parts.append(f"<p>{_e(outcome)}</p>")
    parts.append("<h3>Timeline</h3>")
    if timeline is None:
        parts.append("<p>No event log in this run directory (events.parquet).</p>")
    elif not timeline:
        parts.append("<p>Nothing notable happened: no events were recorded.</p>")
    else:
        items = "".join(
            f'<li><span class="when">{_e(i.when)}</span> {_e(i.text)}</li>' for i in timeline
        )
        parts.append(
            f'<ul class="timeline">{items}</ul><p class="rule">The most important events, '
            "grouped by firm and kind; all of them are in events.parquet.</p>"
        )
    parts.append("<h3>The article's gauges and the loop</h3>")
    if facts:
        parts.append("<ul>" + "".join(f"<li>{_e(f)}</li>" for f in facts) + "</ul>")
    parts += [_figure(f) for f in figures if f.section == "story"]
    parts += ["</section>", '<section id="detail">', "<h2>The detail</h2>", _table(numbers)]
    parts += [_figure(f) for f in figures if f.section != "story"]
    parts.append("</section>")
    return _page(title, "\n".join(parts))


def sweep_page(title: str, numbers: Mapping[str, str], figures: Sequence[Shown]) -> bytes:
    """The sweep report: its numbers, then every figure once."""
    return _page(title, "\n".join([_table(numbers), *(_figure(f) for f in figures)]))
