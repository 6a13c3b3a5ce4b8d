"""The label file: ``page,line,label`` rows validated against the corpus."""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .model import LABELS
from .reading import PageReadError, read_page
from .segment import Block, line_count, segment

REQUIRED = ("page", "line", "label")


@dataclass(frozen=True)
class Problem:
    """One problem in a label file, located as ``file:row`` (row 1 is the header)."""

    file: str
    row: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.message}"


class LabelFileError(Exception):
    """A label file with problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = "\n".join(str(p) for p in problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in label file:\n{head}{more}")


@dataclass
class LabeledPage:
    """A corpus page with its blocks and, per block, a label index or -1 (unlabeled)."""

    page: str
    text: str
    blocks: list[Block]
    y: list[int] = field(default_factory=list)


@dataclass
class LabelSet:
    """The validated label file: pages in file order, problems skipped, file hash."""

    pages: list[LabeledPage]
    skipped: list[Problem]
    sha256: str

    @property
    def n_labels(self) -> int:
        return sum(1 for p in self.pages for v in p.y if v >= 0)


def label_rows(path: str | Path):
    """``(page, line, label)`` of every well-formed row, skipping the rest silently.

    For views of a label file (``label``, ``show``) that must not fail on a
    row :func:`read_labels` would reject; training always goes through
    :func:`read_labels`.
    """
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            page, line = (r.get("page") or "").strip(), (r.get("line") or "").strip()
            if page and line.isdigit():
                yield page, int(line), (r.get("label") or "").strip()


def read_labels(path: str | Path, corpus: str | Path, skip_bad_rows: bool = False) -> LabelSet:
    """Read and validate a label file before any work is done on it.

    Every problem is collected (unknown label, missing page, line out of
    range or blank, conflicting duplicates, bad header, BOM, malformed row);
    with problems :class:`LabelFileError` is raised unless ``skip_bad_rows``,
    which drops the bad rows and reports them in ``LabelSet.skipped``.
    Columns other than page/line/label (such as ``confidence``) are ignored.
    """
    path = Path(path)
    corpus = Path(corpus)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise LabelFileError([Problem(name, 0, f"cannot read label file: {e.strerror or e}")]) from None
    problems: list[Problem] = []
    fatal: list[Problem] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(name, 1, "file starts with a UTF-8 byte-order mark (BOM); save it without one"))
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LabelFileError([Problem(name, 0, f"not UTF-8 ({e.reason} at byte {e.start})")]) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise LabelFileError([Problem(name, 1, "empty file: expected header page,line,label")])
    header = [h.strip() for h in rows[0]]
    if not all(c in header for c in REQUIRED):
        fatal.append(Problem(name, 1, f"missing header: expected columns {','.join(REQUIRED)}, got {','.join(header)!r}"))
        raise LabelFileError(problems + fatal)
    ci = {c: header.index(c) for c in REQUIRED}

    pages: dict[str, LabeledPage] = {}
    bad_pages: dict[str, str] = {}
    seen: dict[tuple[str, int], tuple[str, int]] = {}
    conflicts: set[tuple[str, int]] = set()
    good: list[tuple[int, str, int, str]] = []
    for rn, row in enumerate(rows[1:], 2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < len(header):
            problems.append(Problem(name, rn, f"expected {len(header)} columns, got {len(row)}"))
            continue
        page, line_s, label = row[ci["page"]].strip(), row[ci["line"]].strip(), row[ci["label"]].strip()
        if label not in LABELS:
            problems.append(Problem(name, rn, f"unknown label {label!r} (expected one of {', '.join(LABELS)})"))
            continue
        try:
            line = int(line_s)
        except ValueError:
            problems.append(Problem(name, rn, f"line {line_s!r} is not a whole number"))
            continue
        if page not in pages and page not in bad_pages:
            try:
                ptext = read_page(str(corpus / page))
                pages[page] = LabeledPage(page, ptext, segment(ptext))
            except PageReadError as e:
                bad_pages[page] = e.reason
        if page in bad_pages:
            problems.append(Problem(name, rn, f"page {page!r} under {corpus}: {bad_pages[page]}"))
            continue
        lp = pages[page]
        n_lines = line_count(lp.text)
        if not 1 <= line <= n_lines:
            problems.append(Problem(name, rn, f"line {line} out of range: {page} has {n_lines} lines"))
            continue
        key = (page, line)
        if key in seen:
            prev_label, prev_row = seen[key]
            if prev_label != label:
                conflicts.add(key)
                problems.append(Problem(name, rn, f"{page}:{line} labeled {label!r} here but {prev_label!r} at row {prev_row}"))
            continue
        seen[key] = (label, rn)
        good.append((rn, page, line, label))

    by_line: dict[str, dict[int, int]] = {}
    for p in pages.values():
        by_line[p.page] = {b.line: i for i, b in enumerate(p.blocks)}
        p.y = [-1] * len(p.blocks)
    for rn, page, line, label in good:
        if (page, line) in conflicts:
            continue
        idx = by_line[page].get(line)
        if idx is None:
            problems.append(Problem(name, rn, f"{page}:{line} is a blank line, not a block"))
            continue
        pages[page].y[idx] = LABELS.index(label)

    problems.sort(key=lambda p: p.row)
    if problems and not skip_bad_rows:
        raise LabelFileError(problems)
    kept = [p for p in pages.values() if any(v >= 0 for v in p.y)]
    return LabelSet(kept, problems, hashlib.sha256(raw).hexdigest())
