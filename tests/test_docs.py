"""Documentation examples run: the fenced ```python blocks of each page in docs/ and the
README, in order and in one namespace per page (a page may build on its earlier blocks)."""

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(ROOT.glob("docs/**/*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def page_code(page: Path) -> list[str]:
    return [m.group(1) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]


PAGES_WITH_CODE = [p for p in PAGES if page_code(p)]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    script = tmp_path / "page.py"
    script.write_text("\n\n".join(page_code(page)), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", [str(script)])
    runpy.run_path(str(script), run_name="__main__")


def test_there_are_examples():
    assert len(PAGES_WITH_CODE) >= 8
    assert sum(len(page_code(p)) for p in PAGES_WITH_CODE) >= 15


# -- the getting-started page, command by command, in a fresh copy of the repository -----
GETTING_STARTED = ROOT / "docs" / "tutorials" / "getting-started.md"
SHELL_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


def page_commands(page: Path) -> list[str]:
    """The command lines of a page's ```bash blocks, in order (comments dropped)."""
    lines = []
    for block in SHELL_BLOCK.findall(page.read_text(encoding="utf-8")):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def fresh_copy(dest: Path) -> Path:
    """The repository's tracked files (as a fresh clone has them) copied into ``dest``,
    with this checkout's installed ``.venv`` linked in, up to date for ``make``."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    stamp = (ROOT / ".venv" / ".installed").stat().st_mtime
    os.utime(dest / "pyproject.toml", (stamp - 60, stamp - 60))  # the install is current
    return dest


@pytest.mark.slow
@pytest.mark.skipif(
    not (ROOT / ".venv" / ".installed").is_file(), reason="needs the .venv that make installs"
)
def test_getting_started_runs_line_by_line_from_a_fresh_copy(tmp_path):
    commands = page_commands(GETTING_STARTED)
    assert commands[0] == "make run" and "source .venv/bin/activate" in commands
    repo = fresh_copy(tmp_path / "aipm")
    # a new shell: no virtual environment active, aipm not on the PATH
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not p.startswith(str(ROOT))
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {"PATH": path, "MPLBACKEND": "Agg"}
    before = subprocess.run(["bash", "-c", "command -v aipm"], cwd=repo, env=env)
    assert before.returncode != 0  # "command not found", as the page says
    script = "set -euo pipefail\n" + "\n".join(f"echo '$ {c}'\n{c}" for c in commands)
    r = subprocess.run(
        ["bash", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=900
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for run in ("out/baseline", "out/first"):
        for name in ("report.html", "dashboard.png", "events.parquet", "loops.parquet"):
            assert (repo / run / name).is_file(), f"{run}/{name}"
    assert "OFF" not in r.stdout  # every calibration anchor within tolerance
