"""The documentation site builds with ``mkdocs build --strict`` (no broken links or pages)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    for page in (
        "index.html",
        "gallery/index.html",
        "howto/app/index.html",
        "tutorials/notebook-perpetual-motion/index.html",
        "reference/api/index.html",
    ):
        assert (site / page).is_file(), page
    gallery = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+)"', gallery)
    assert len(images) >= 16
    for src in images:
        assert (site / "gallery" / src).resolve().is_file(), src
