"""Reading pages from disk or stdin: bytes -> text, with a clear error or a real decode."""
from __future__ import annotations

import codecs
import os
import re
import sys

from .segment import line_count

#: Pages larger than this are refused rather than read whole into memory.
MAX_PAGE_BYTES = 64 * 1024 * 1024
#: Inputs with more lines than this are refused: no web page has them, and
#: the per-block result list would grow without bound.
MAX_PAGE_LINES = 200_000


class PageReadError(Exception):
    """A page that cannot be read or decoded; ``str(err)`` names file and reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode(data: bytes, path: str = "<bytes>") -> str:
    """Decode page bytes: BOM first, then strict UTF-8, then charset-normalizer.

    Raises :class:`PageReadError` for binary data or text no detector trusts,
    instead of guessing and labelling mojibake.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as e:
                raise PageReadError(path, f"invalid {enc} after its byte-order mark ({e.reason} at byte {e.start})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if _looks_binary(text):
            raise PageReadError(path, "binary data, not text (control bytes)")
        return text
    from charset_normalizer import from_bytes  # deferred: only non-UTF-8 pages need it

    best = from_bytes(data[:1_000_000] if len(data) > 1_000_000 else data,
                      cp_isolation=["cp932", "shift_jis", "euc_jp", "iso2022_jp", "utf_16", "cp1252",
                                    "latin_1", "gb18030", "big5", "euc_kr"]).best()
    if best is None or best.encoding is None:
        raise PageReadError(path, "not valid UTF-8 and no text encoding detected (binary?)")
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise PageReadError(path, f"not valid UTF-8; detected {best.encoding} but it does not decode: {e}")
    if _looks_binary(text):
        raise PageReadError(path, f"binary data, not text (detected {best.encoding})")
    return text


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    """More than 5 % control characters (other than whitespace) in the first 64 K characters."""
    sample = text[:65536]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > 0.05


def read_page(path: str) -> str:
    """Read one page (``-`` for stdin) and decode it; :class:`PageReadError` on failure."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_PAGE_BYTES + 1)
        else:
            if os.path.isdir(path):
                raise PageReadError(path, "is a directory")
            with open(path, "rb") as f:
                data = f.read(MAX_PAGE_BYTES + 1)
    except FileNotFoundError:
        raise PageReadError(path, "no such file") from None
    except PermissionError:
        raise PageReadError(path, "permission denied") from None
    except OSError as e:
        raise PageReadError(path, f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_PAGE_BYTES:
        raise PageReadError(path, f"larger than {MAX_PAGE_BYTES // (1024 * 1024)} MB")
    text = decode(data, path)
    n_lines = line_count(text)
    if n_lines > MAX_PAGE_LINES:
        raise PageReadError(path, f"{n_lines} lines; more than {MAX_PAGE_LINES} is not a page")
    return text
