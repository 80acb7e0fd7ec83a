"""Documentation examples run: the fenced ```python blocks of each page in docs/ and the
README, in order and in one namespace per page (a page may build on its earlier blocks)."""

import re
import runpy
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
