"""Documentation examples run: every fenced ```python block in docs/ and the README."""

import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(ROOT.glob("docs/**/*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks():
    for page in PAGES:
        for k, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8"))):
            yield pytest.param(page, match.group(1), id=f"{page.relative_to(ROOT)}#{k}")


@pytest.mark.parametrize(("page", "code"), list(blocks()))
def test_doc_block_runs(page, code, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    monkeypatch.setattr(sys, "argv", [str(script)])
    runpy.run_path(str(script), run_name="__main__")


def test_there_are_examples():
    assert len(list(blocks())) >= 3
