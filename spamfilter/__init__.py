"""spamfilter: label the blocks of aggregator pages and score the page.

Data flows one way: text -> blocks (:func:`segment`) -> features -> model ->
labels -> page score (:class:`PageResult`). Typical use::

    import spamfilter
    clf = spamfilter.load()            # the bundled model
    result = clf.score(page_text)
    result.quality, result.spam, result.verdict
    [b.label for b in result.blocks]
"""
from __future__ import annotations

__version__ = "0.1.0"

from .artifact import ModelError
from .classifier import BlockResult, Classifier, PageResult, load
from .labels import LabelFileError, read_labels
from .model import LABELS
from .reading import PageReadError, decode, read_page
from .segment import Block, segment

__all__ = [
    "LABELS", "Block", "BlockResult", "Classifier", "LabelFileError", "ModelError", "PageReadError",
    "PageResult", "__version__", "decode", "load", "read_labels", "read_page", "segment",
]
