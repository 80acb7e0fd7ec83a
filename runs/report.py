"""Reports: a run (or a sweep) as one self-contained HTML page, plus its PNG files.

``aipm run`` calls :func:`build_report` on the run directory before it is moved
into place; ``aipm report DIR`` rebuilds it. A run report is::

    RUN_DIR/report.html          the story first (regime and its rule, timeline, the
                                 article's gauges, the loop), then the detail; every
                                 figure embedded once (data URIs: one file to share)
    RUN_DIR/figures/*.png        each figure as its own file (900 px wide or more)
    RUN_DIR/dashboard.png        every figure on one page, pasted from the same images

Each figure is drawn once (:func:`render`); its PNG is encoded on a second thread
while the next figure is drawn, and the dashboard reuses the drawn images.
:func:`build_sweep_report` does the same for a sweep directory (layout in its
docstring). Every file is written atomically.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from runs import figures, style
from runs.figures.base import Grid
from runs.interrupts import no_check
from runs.output import atomic_write_bytes, read_run
from runs.png import encode_png
from runs.readback import read_json, read_parquet
from runs.report_page import Shown, run_page
from runs.story import article_facts, outcome, regime_rule, timeline
from world.gauges import paid_growth_by_year

__all__ = [
    "RUN_FIGURES",
    "RUN_GRIDS",
    "SECOND_PROCESS_FIGURES",
    "Check",
    "Drawn",
    "RunTables",
    "build_report",
    "draw_figures",
    "key_numbers",
    "png_bytes",
    "read_tables",
    "render",
]

#: file stem → (section, caption) of each figure of a run report, in page order.
RUN_FIGURES: dict[str, tuple[str, str]] = {
    "gauges": (
        "story",
        "The article's gauges. Engine: monthly-active-user and paying-user growth, quarter "
        "on quarter. Gears: capex / revenue over the last four quarters — the AI business of "
        "all clouds (legacy businesses such as Amazon's retail left out), and Oracle and "
        "Microsoft as whole companies. Fuel: useful compute delivered per USD bn invested.",
    ),
    "funding": (
        "story",
        "Left: the labs' free cash flow (operating cash flow − capex) by calendar year; "
        "below zero it is the funding gap the labs must raise. Right: adoption — weekly "
        "users as a share of the world population since launch, against personal "
        "computers (12 years to 10%) and mobile phones (21 years).",
    ),
    "round_trip": (
        "story",
        "Round trips. Left: USD per quarter that went round each loop of the deal network "
        "(a firm finances another, the money reaches a payer, the payer pays it back as "
        "revenue). Right: each firm's revenue paid with its own money coming home.",
    ),
    "network": (
        "story",
        "The deal network at the start and at the end of the run: arrows point the way "
        "money flows, their width grows with the deals' value (scale in the legend); the "
        "highlighted loop is the article's.",
    ),
    "valuations": ("detail", "Valuation of each firm, log scale; dashed: fundamental value."),
    "buildout": ("detail", "Deployed AI capacity versus GPU orders and the capacity demand needs."),
    "balance": ("detail", "Cash and leverage (debt / total assets) by firm."),
    "stress": ("detail", "Firms by Minsky class (hedge, speculative, Ponzi) and firms in default."),
    "markets": (
        "detail",
        "Investor sentiment with the lab's funding rounds, and investors by strategy.",
    ),
}


@dataclass(frozen=True)
class RunTables:
    """The tables of a run directory (``events``, ``loops``, ``summary``: when written)."""

    params: dict[str, Any]
    firms: pd.DataFrame
    system: pd.DataFrame
    deals: pd.DataFrame
    events: pd.DataFrame | None = None
    loops: pd.DataFrame | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def demand(self) -> dict[str, Any]:
        """The scenario's demand parameters (empty if ``params.json`` has none)."""
        return dict(self.params.get("scenario", {}).get("demand", {}))


def read_tables(run_dir: Path) -> RunTables:
    """Read a run directory (as written by :func:`runs.output.write_run`)."""
    run_dir = Path(run_dir)
    params, firms, system, deals = read_run(run_dir)

    def optional(name: str) -> pd.DataFrame | None:
        path = run_dir / name
        return read_parquet(path) if path.is_file() else None

    summary_file = run_dir / "summary.json"
    summary = read_json(summary_file) if summary_file.is_file() else {}
    return RunTables(
        params, firms, system, deals, optional("events.parquet"), optional("loops.parquet"), summary
    )


# -- drawing once -------------------------------------------------------------------------
@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while drawing.

    A figure is many small objects: collector passes cost about a tenth of a report;
    reference counting still frees memory meanwhile.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def render(fig: Figure) -> Image.Image:
    """Draw ``fig`` once with Agg and return the pixels (RGB, the figure's size at its dpi)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    return rgba.convert("RGB")


Check = Callable[[], None]
"""A function called between the steps of a report, which may raise to stop it."""


#: How often :func:`build_report` checks while it waits for its second drawing process (s).
CHECK_SECONDS = 0.05

#: Threads that deflate the dashboard (the largest image, encoded once every figure
#: is drawn, when the second drawing process has finished: its core is free).
DASHBOARD_THREADS = 2


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, drawn once at its own size and dpi (:data:`style.DPI`)."""
    return encode_png(render(fig))


def _fmt(x: float, unit: str = "") -> str:
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"
    return f"{text} {unit}".strip()


def key_numbers(
    params: dict[str, Any],
    firms: pd.DataFrame,
    system: pd.DataFrame,
    deals: pd.DataFrame,
    summary: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The headline numbers of a run, as label → formatted value.

    ``summary`` is the run's ``summary.json`` (drawdown, cascade, lenders' losses) when
    present. The regime is not here: the story states it with its rule.
    """
    figures.check_frame(
        system,
        "system",
        required=("period",),
        numeric=("quarter", "users_m", "total_deployed_gw", "lab_valuation", "round_trip_revenue"),
    )
    figures.check_frame(firms, "firms", required=("firm",), numeric=("quarter", "defaulted"))
    s = system.sort_values("quarter")
    last, first = s.iloc[-1], s.iloc[0]
    scenario = params.get("scenario", {})
    defaulted = firms[firms["defaulted"].astype(bool)].groupby("firm")["quarter"].min()
    periods = dict(zip(s["quarter"], s["period"], strict=True))
    numbers = {
        "scenario": str(scenario.get("name", "?")),
        "random seed": str(params.get("seed", "?")),
        "quarters": f"{len(s)} ({first['period']} – {last['period']})",
        "weekly users at end": _fmt(last["users_m"], "M"),
        "deployed AI capacity": f"{_fmt(first['total_deployed_gw'], 'GW')} → "
        f"{_fmt(last['total_deployed_gw'], 'GW')}",
        "AI-lab valuation": f"USD {_fmt(first['lab_valuation'])} bn → "
        f"USD {_fmt(last['lab_valuation'])} bn (peak {_fmt(s['lab_valuation'].max())})",
        "round-trip revenue, whole run": f"USD {_fmt(s['round_trip_revenue'].sum())} bn",
        "deals signed": f"{len(deals)}, USD {_fmt(deals['value'].sum())} bn",
        "defaults": ", ".join(f"{f} ({periods.get(q, q)})" for f, q in defaulted.items()) or "none",
    }
    summary = summary or {}
    if "aggregate_max_drawdown" in summary:
        numbers["largest fall of total valuation"] = f"{summary['aggregate_max_drawdown']:.0%}"
    if summary.get("cascade_size"):
        numbers["default cascade"] = f"{summary['cascade_size']} firms"
    if "lender_losses" in summary:
        numbers["lenders' losses"] = f"USD {_fmt(summary['lender_losses'])} bn"
    numbers["aipm version / commit"] = (
        f"{params.get('aipm_version', '?')} / {str(params.get('git_commit', '?'))[:10]}"
    )
    return numbers


def _paid_by_year(t: RunTables) -> dict[int, float]:
    d, s = t.demand, t.system.sort_values("quarter")
    opening = float(d.get("users_0", 0.0)) * float(d.get("paid_share_0", 0.0))
    if opening <= 0 or "paid_users_m" not in s.columns:
        return {}
    history = {"2023Q4": float(d["paid_users_2023"])} if "paid_users_2023" in d else {}
    return paid_growth_by_year(
        s["period"].astype(str).tolist(), s["paid_users_m"], opening=opening, history=history
    )


def run_figures(t: RunTables) -> dict[str, Callable[[], Figure]]:
    """The figure makers of a run report, by file stem (the order of :data:`RUN_FIGURES`)."""
    f, s, deals, loops = t.firms, t.system, t.deals, t.loops
    loop = figures.article_loop(loops, f) if loops is not None else None
    loop_usd = None
    if loop is not None and loops is not None:
        totals = figures.loop_totals(loops)
        loop_usd = float(totals.get(loop, 0.0))
    makers: dict[str, Callable[[], Figure]] = {
        "gauges": lambda: figures.gauges_figure(s, firms=f, paid_by_year=_paid_by_year(t)),
        "funding": lambda: figures.funding_adoption_figure(s, launch=t.demand.get("launch")),
        "round_trip": lambda: figures.round_trip_figure(f, loops),
        "network": lambda: figures.network_figure(deals, f, loop=loop, loop_usd=loop_usd),
        "valuations": lambda: figures.valuations_figure(f),
        "buildout": lambda: figures.buildout_figure(s, deals),
        "balance": lambda: figures.balance_figure(f),
        "stress": lambda: figures.stress_figure(f),
        "markets": lambda: figures.markets_figure(s),
    }
    return {stem: makers[stem] for stem in RUN_FIGURES}


def _check(t: RunTables) -> None:
    """Validate every table the figures read before drawing anything (one clear error)."""
    figures.check_frame(
        t.firms,
        "firms",
        required=("firm", "role", "period"),
        numeric=("quarter", "valuation", "round_trip_share", "cash", "leverage", "defaulted"),
    )
    figures.check_frame(
        t.system,
        "system",
        required=("period",),
        numeric=("quarter", *figures.GAUGES, "total_deployed_gw"),
    )


#: The grids (:func:`runs.figures.base.panel_grid`) that the run figures of a
#: baseline-like run ask for (three gauges, loops recorded): built ahead by the drawing
#: process of ``aipm run`` while the run simulates (:func:`runs.report_worker.warm_up`).
RUN_GRIDS = (
    Grid((15.0, 4.2), 3, top=0.8),  # gauges
    Grid(style.WIDE_SIZE, 2),  # funding
    Grid(style.WIDE_SIZE, 2),  # round_trip
    Grid((15.0, 6.4), 2, left=0.1, right=3.0, bottom=0.1, top=0.5, gap=0.2),  # network
    Grid(right=1.45),  # valuations
    Grid(),  # buildout
    Grid(style.WIDE_SIZE, 2, right=1.45),  # balance (one legend right of both panels)
    Grid(style.WIDE_SIZE, 2),  # stress
    Grid(style.WIDE_SIZE, 2),  # markets
)

#: The figures the second process draws when a report is drawn in two processes; the
#: first process draws the others, then pastes the dashboard and writes the page. The
#: baseline's figures (CPU ms, on grids built ahead): gauges 178, funding 129, round
#: trip 147, network 213, valuations 104, build-out 75, balance 132, stress 108,
#: markets 130: 633 ms for the first process, 583 for the second, which also pays for
#: its fork and for sending its images back.
SECOND_PROCESS_FIGURES = ("network", "balance", "stress", "markets")


@dataclass(frozen=True)
class Drawn:
    """A figure drawn once: file stem, its pixels (RGB) and its PNG bytes."""

    stem: str
    image: Image.Image
    png: bytes


def draw_figures(t: RunTables, stems: Sequence[str], check: Check = no_check) -> list[Drawn]:
    """Draw the run figures ``stems`` in order; each PNG is encoded while the next is drawn.

    ``check`` is called before each figure (what it raises stops the drawing).
    """
    makers = run_figures(t)
    with _no_gc(), ThreadPoolExecutor(max_workers=1) as encoder:  # zlib runs while we draw
        pending = []
        for stem in stems:
            check()
            image = render(makers[stem]())
            pending.append((stem, image, encoder.submit(encode_png, image)))
        return [Drawn(stem, image, png.result()) for stem, image, png in pending]


def _draw_and_send(
    t: RunTables, stems: Sequence[str], conn: Connection, firsts_end: Connection, parent_pid: int
) -> None:
    """The second process: draw ``stems`` and send them back (or the error that stopped it).

    It dies with the first (:func:`runs.executors.die_with_parent`), and Ctrl-C or
    SIGTERM end it at once (their default action): the first process says what happened.
    """
    from runs.executors import die_with_parent
    from runs.interrupts import end_at_once_on_signals

    end_at_once_on_signals()
    die_with_parent(parent_pid, watch=False)
    firsts_end.close()  # else, the first gone, sending would wait forever on a full pipe
    try:
        drawn: list[Drawn] | Exception = draw_figures(t, stems)
    except ValueError as exc:  # a table the figures cannot draw: raised again by the first
        drawn = exc
    conn.send(drawn)
    conn.close()


def _draw_in_two(t: RunTables, check: Check = no_check) -> list[Drawn]:
    """Every run figure, :data:`SECOND_PROCESS_FIGURES` drawn by a forked second process.

    The second process starts with what this one has imported and cached (fonts,
    text layouts), so it draws at once; call it with no other thread running.
    ``check`` is called before each figure of this process and every
    :data:`CHECK_SECONDS` while it waits for the second's: what it raises stops both.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    second = context.Process(
        target=_draw_and_send,
        args=(t, SECOND_PROCESS_FIGURES, send, receive, os.getpid()),
        name="aipm-report-draw",
    )
    second.start()
    send.close()
    try:
        mine = draw_figures(t, [s for s in RUN_FIGURES if s not in SECOND_PROCESS_FIGURES], check)
        while not receive.poll(CHECK_SECONDS):
            check()
        try:
            theirs = receive.recv()
        except EOFError:
            second.join()
            check()  # a signal that ended it: the interruption, not an error
            raise RuntimeError(
                f"the second drawing process ended without its figures "
                f"(exit code {second.exitcode})"
            ) from None
    finally:
        receive.close()
        if second.is_alive():
            second.kill()
        second.join()
    if isinstance(theirs, Exception):
        raise theirs
    drawn = {d.stem: d for d in (*mine, *theirs)}
    return [drawn[stem] for stem in RUN_FIGURES]


def build_report(run_dir: Path, *, processes: int = 1, check: Check = no_check) -> Path:
    """Write ``report.html``, ``figures/*.png`` and ``dashboard.png`` into a run directory.

    Parameters
    ----------
    run_dir
        Directory with ``params.json``, ``firms.parquet``, ``system.parquet`` and
        ``deals.parquet`` (as written by :func:`runs.output.write_run`); the story uses
        ``events.parquet``, ``loops.parquet`` and ``summary.json`` when present.
    processes
        1: draw every figure in this process; 2: draw :data:`SECOND_PROCESS_FIGURES`
        in a forked second process meanwhile (POSIX only; for a process with no
        other thread running, such as the drawing process of ``aipm run``). The
        files are the same either way.
    check
        Called between the steps that write nothing (reading, each figure) and
        before the first file is written: what it raises (an interruption,
        :meth:`runs.interrupts.StopSignals.check`) stops the report with nothing
        written; once writing has started, it finishes.

    Returns
    -------
    Path
        The HTML page.

    Raises
    ------
    runs.readback.UnreadableFile
        If a file of the run is missing or unreadable (a ``ValueError`` naming it).
    ValueError
        If a table lacks a column the figures need, or has no rows; or if
        ``processes`` is not 1 or 2.
    """
    if processes not in (1, 2):
        raise ValueError(f"processes: {processes} (allowed: 1 or 2)")
    run_dir = Path(run_dir)
    t = read_tables(run_dir)
    _check(t)
    s = t.system.sort_values("quarter")
    scenario = t.params.get("scenario", {}).get("name", run_dir.name)
    title = (
        f"aipm run — {scenario}, random seed {t.params.get('seed', '?')}, "
        f"{s['period'].iloc[0]} to {s['period'].iloc[-1]}"
    )
    check()
    drawn = _draw_in_two(t, check) if processes == 2 else draw_figures(t, list(RUN_FIGURES), check)
    check()
    with _no_gc(), ThreadPoolExecutor(max_workers=1) as encoder:  # while we write the page
        dashboard = encoder.submit(
            encode_png,
            figures.compose_dashboard([d.image for d in drawn], title),
            threads=DASHBOARD_THREADS,
        )
        shown = []
        for d in drawn:
            section, caption = RUN_FIGURES[d.stem]
            atomic_write_bytes(run_dir / "figures" / f"{d.stem}.png", d.png)
            shown.append(Shown(d.stem, section, caption, d.png))
        regime = str(t.summary.get("regime", ""))
        page = run_dir / "report.html"
        html = run_page(
            title,
            regime=regime,
            rule=regime_rule(regime) if regime else "",
            regime_figures={k: v for k, v in t.summary.items() if k.startswith("regime_")},
            outcome=outcome(t.firms, t.summary),
            timeline=timeline(t.events) if t.events is not None else None,
            facts=article_facts(t.system, t.firms, t.demand, t.loops),
            figures=shown,
            numbers=key_numbers(t.params, t.firms, t.system, t.deals, t.summary),
        )
        atomic_write_bytes(page, html)
        atomic_write_bytes(run_dir / "dashboard.png", dashboard.result())
    return page
