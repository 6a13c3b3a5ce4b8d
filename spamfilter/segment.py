"""Segmenting a page: text -> blocks (one per non-empty line)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

#: Characters of a block that feature extraction looks at. Classification needs
#: the head and tail of a block (how it starts, how it ends); the middle of a
#: 50 MB line adds cost, not signal. Length features still see the full size.
HEAD_CHARS = 160
TAIL_CHARS = 64


@dataclass(frozen=True)
class Block:
    """One block of a page: a non-empty line.

    ``line`` is 1-based; ``start``/``end`` are character offsets of the line's
    text (without its newline) in the page string.
    """

    line: int
    start: int
    end: int
    text: str

    @cached_property
    def content(self) -> str:
        """The block's text without surrounding whitespace (stripped once, used everywhere)."""
        return self.text.strip()

    @cached_property
    def sample(self) -> str:
        """The stripped head and tail of the block, bounded in size."""
        t = self.content
        if len(t) <= HEAD_CHARS + TAIL_CHARS:
            return t
        return t[:HEAD_CHARS] + " … " + t[-TAIL_CHARS:]


def segment(text: str) -> list[Block]:
    """Split a page into blocks: every line with non-whitespace text is a block.

    Lines are split on ``\\n`` (``\\r\\n`` and lone ``\\r`` count as line ends too),
    so line numbers match what an editor or ``cat -n`` shows.
    """
    if not isinstance(text, str):
        raise TypeError(f"page text must be str, not {type(text).__name__}")
    blocks: list[Block] = []
    pos = 0
    n = len(text)
    line = 0
    while pos <= n:
        line += 1
        nl = _next_line_end(text, pos)
        end = n if nl < 0 else nl
        chunk = text[pos:end]
        if chunk and not chunk.isspace():
            blocks.append(Block(line, pos, end, chunk))
        if nl < 0:
            break
        pos = nl + (2 if text.startswith("\r\n", nl) else 1)
    return blocks


def line_count(text: str) -> int:
    """Lines of ``text`` under :func:`segment`'s rules (``\r\n``, ``\n`` and lone ``\r`` end a line)."""
    if not text:
        return 0
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


def _next_line_end(text: str, pos: int) -> int:
    a = text.find("\n", pos)
    b = text.find("\r", pos, a if a >= 0 else len(text))
    if b >= 0:
        return b
    return a
