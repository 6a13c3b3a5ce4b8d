"""Facts about corpus pages: site, language and kind, from ``sources.tsv`` files."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageInfo:
    """What the corpus says about one page (``page`` relative to the corpus root)."""

    page: str
    site: str
    language: str | None
    kind: str | None


def page_info(corpus: Path, pages) -> dict[str, PageInfo]:
    """Site, language and kind per page.

    The site comes from the ``site`` column of ``sources.tsv`` in the page's
    folder; a page not listed there belongs to a site named after its folder,
    so pages of one unknown folder are never split between train and test.
    """
    tables: dict[str, dict[str, dict]] = {}
    out = {}
    for page in pages:
        folder = str(Path(page).parent)
        if folder not in tables:
            tables[folder] = _read_sources(Path(corpus) / folder / "sources.tsv")
        row = tables[folder].get(Path(page).name, {})
        out[page] = PageInfo(page, row.get("site") or f"folder:{folder}",
                             row.get("language") or None, row.get("kind") or None)
    return out


def _read_sources(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        return {r["file"]: r for r in csv.DictReader(f, delimiter="\t") if r.get("file")}
