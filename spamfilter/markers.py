"""The boilerplate marker lexicon (``data/markers.tsv``) and its matcher."""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

MATCH_KINDS = ("exact", "prefix", "suffix", "contains", "regex")


@dataclass(frozen=True)
class Marker:
    """One lexicon row: ``group`` is the feature it feeds, ``why`` its meaning."""

    group: str
    match: str
    pattern: str
    why: str

    def regex(self) -> str:
        if self.match == "regex":
            return self.pattern
        p = re.escape(self.pattern)
        return {"exact": f"^{p}$", "prefix": f"^{p}", "suffix": f"{p}$", "contains": p}[self.match]


def normalize(text: str) -> str:
    """The form markers are matched against: NFKC, case-folded, stripped."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


class Lexicon:
    """All markers, compiled to one regex per group for speed."""

    def __init__(self, markers: list[Marker]):
        self.markers = markers
        self.groups: list[str] = sorted({m.group for m in markers})
        by_group: dict[str, list[str]] = {g: [] for g in self.groups}
        for m in markers:
            by_group[m.group].append(m.regex())
        self._compiled = [re.compile("|".join(f"(?:{r})" for r in by_group[g])) for g in self.groups]
        self._single = [(m, re.compile(m.regex())) for m in markers]

    def groups_fired(self, norm_text: str) -> list[bool]:
        """For each group (in ``self.groups`` order), whether any marker fires."""
        return [c.search(norm_text) is not None for c in self._compiled]

    def fired(self, text: str) -> list[Marker]:
        """Every marker that fires on ``text`` (for explanations)."""
        t = normalize(text)
        return [m for m, c in self._single if c.search(t)]


def read_lexicon(path=None) -> Lexicon:
    """Read a marker table (TSV with header ``group match pattern why``)."""
    if path is None:
        text = resources.files("spamfilter").joinpath("data/markers.tsv").read_text(encoding="utf-8")
        where = "spamfilter/data/markers.tsv"
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        where = str(path)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    markers = []
    for n, row in enumerate(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE), 2):
        if row.get("match") not in MATCH_KINDS or not row.get("pattern"):
            raise ValueError(f"{where}: bad marker row {n}: {row}")
        pattern = row["pattern"].replace("\\ufffd", "\ufffd") if row["match"] != "regex" else row["pattern"]
        if row["match"] != "regex":
            pattern = normalize(pattern) or pattern
        markers.append(Marker(row["group"], row["match"], pattern, row.get("why") or ""))
    return Lexicon(markers)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon shipped with the package (read once per process)."""
    return read_lexicon()
