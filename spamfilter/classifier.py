"""Scoring pages with a trained model: the library surface crawlers call."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from . import artifact
from .markers import default_lexicon
from .model import LABELS, BlockModel, predict
from .page import AD_SHARE_THRESHOLD, PageModel, block_chars, label_shares, page_features, verdict
from .segment import Block, segment

#: Pages with more blocks than this are scored in consecutive windows of this
#: many blocks, so feature matrices (and memory) stay bounded on huge inputs.
WINDOW_BLOCKS = 5000
_EXPLAIN_ROWS = 128
#: Score digits kept in results: identical output across runs and platforms.
DIGITS = 4

MODEL_NAME = "spamfilter.joblib"


def default_model_path() -> Path:
    """The bundled model: top-level ``models/`` in a checkout, ``spamfilter.models`` when installed."""
    try:
        from importlib import resources

        p = Path(str(resources.files("spamfilter.models").joinpath(MODEL_NAME)))
        if p.is_file():
            return p
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "models" / MODEL_NAME


@dataclass
class BlockResult:
    """One labelled block: 1-based ``line``, its ``text``, ``label`` and per-label ``scores``."""

    line: int
    text: str
    label: str
    scores: dict[str, float]


@dataclass
class PageResult:
    """A scored page: its blocks, ``quality`` (article share), ``spam`` and ``verdict``."""

    blocks: list[BlockResult]
    quality: float
    spam: float
    verdict: str
    path: str | None = None
    _explain: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The JSON form the CLI prints (``--format json``)."""
        return {"path": self.path,
                "blocks": [{"line": b.line, "label": b.label, "scores": b.scores} for b in self.blocks],
                "quality": self.quality, "spam": self.spam, "verdict": self.verdict}

    def article_text(self) -> str:
        """The article blocks joined by newlines: the page's cleaned main text."""
        return "\n".join(b.text.strip() for b in self.blocks if b.label == "article")

    def explain(self, top: int = 4) -> list[dict]:
        """Per block: the markers that fired and the features that pushed its label most."""
        if self._explain is None:
            raise ValueError("explanations need the classifier: use Classifier.explain(text)")
        return self._explain(top)


class Classifier:
    """A loaded model; one instance is safe to share between threads."""

    def __init__(self, model: dict, path: str | None = None):
        self.block_model: BlockModel = model["block_model"]
        self.page_model: PageModel = model["page_model"]
        self.card: dict = model.get("card", {})
        self.path = path

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Classifier":
        """Load a model file (the bundled default when ``path`` is None)."""
        p = Path(path) if path is not None else default_model_path()
        return cls(artifact.load(p), str(p))

    def score(self, text: str, path: str | None = None) -> PageResult:
        """Label every block of a page and score the page."""
        return next(iter(self._score_batch([text], [path])))

    def score_many(self, texts: Iterable[str], n_jobs: int = 1, batch_size: int = 32,
                   paths: Iterable[str | None] | None = None) -> Iterator[PageResult]:
        """Score many pages, in order, predicting a batch of pages per model call.

        With ``n_jobs > 1`` batches go to joblib worker processes, each of
        which loads the model once; workers send back only the block
        probabilities, and results are assembled here, so output is identical
        to ``n_jobs=1``.
        """
        batches = _batches(texts, paths, batch_size)
        if n_jobs == 1:
            for tb, pb in batches:
                yield from self._score_batch(tb, pb)
            return
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=n_jobs, return_as="generator")
        source = self.path if self.path is not None else self
        pending = []

        def jobs():
            for tb, pb in batches:
                _check_texts(tb)
                pending.append((tb, pb))
                yield delayed(_proba_in_worker)(source, tb)

        for probas in par(jobs()):
            tb, pb = pending.pop(0)
            for text, path, proba in zip(tb, pb, probas):
                yield self._page_result(segment(text), proba, path)

    def explain(self, text: str, top: int = 4) -> list[dict]:
        """Explanations for every block of a page (see :meth:`PageResult.explain`)."""
        blocks = segment(text)
        return _explain_blocks(self.block_model, blocks, top) if blocks else []

    # -- internals -----------------------------------------------------------
    def _score_batch(self, texts: Sequence[str], paths: Sequence[str | None]) -> list[PageResult]:
        _check_texts(texts)
        pages = [segment(t) for t in texts]
        return [self._page_result(blocks, p, path)
                for blocks, p, path in zip(pages, self._proba(pages), paths)]

    def _proba(self, pages: list[list[Block]]) -> list[np.ndarray]:
        """Block probabilities per page, all windows of all pages in one model call."""
        windows: list[list[Block]] = []
        for blocks in pages:
            windows.extend(blocks[i:i + WINDOW_BLOCKS] for i in range(0, len(blocks), WINDOW_BLOCKS))
        windows = [w for w in windows if w]
        proba = self.block_model.predict_proba(windows) if windows else np.zeros((0, len(LABELS)))
        bounds = np.cumsum([0] + [len(b) for b in pages])
        return [proba[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def _page_result(self, blocks: list[Block], proba: np.ndarray, path) -> PageResult:
        chars = block_chars(blocks)
        labels = proba.argmax(axis=1) if len(blocks) else np.zeros(0, int)
        shares = label_shares(labels, chars)
        quality = round(float(shares[0]), DIGITS)
        spam = round(float(self.page_model.predict_proba(page_features(proba, chars))[0]), DIGITS) if len(blocks) else 0.0
        results = [BlockResult(b.line, b.text, LABELS[k], {c: round(float(v), DIGITS) for c, v in zip(LABELS, row)})
                   for b, k, row in zip(blocks, labels, proba)]
        model = self.block_model
        return PageResult(results, quality, spam,
                          verdict(quality, spam, float(shares[LABELS.index("ad")]), len(blocks)), path,
                          lambda top: _explain_blocks(model, blocks, top))


def _batches(texts, paths, size):
    size = max(1, int(size))
    paths_it = iter(paths) if paths is not None else None
    tb: list[str] = []
    pb: list[str | None] = []
    for t in texts:
        tb.append(t)
        pb.append(next(paths_it) if paths_it is not None else None)
        if len(tb) >= size:
            yield tb, pb
            tb, pb = [], []
    if tb:
        yield tb, pb


@lru_cache(maxsize=4)
def _worker_classifier(path: str) -> Classifier:
    return Classifier.load(path)


def _proba_in_worker(source, texts) -> list[np.ndarray]:
    clf = _worker_classifier(source) if isinstance(source, str) else source
    return clf._proba([segment(t) for t in texts])


def _check_texts(texts) -> None:
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"page text must be str, not {type(t).__name__}")


def _explain_blocks(model: BlockModel, blocks: list[Block], top: int) -> list[dict]:
    """Markers that fired and top LightGBM contributions (``pred_contrib``) per block."""
    lexicon = default_lexicon()
    out = []
    for i in range(0, len(blocks), WINDOW_BLOCKS):
        win = blocks[i:i + WINDOW_BLOCKS]
        X1 = model.stage1_matrix([win])
        X2 = model.stage2_matrix(X1, [len(win)])
        proba = predict(model.stage2, X2)
        names1, names2 = model.feature_names(1), model.feature_names(2)
        for j, b in enumerate(win):
            if j % _EXPLAIN_ROWS == 0:  # contributions are dense (rows x classes x features): chunk them
                c2 = _contributions(model.stage2, X2[j:j + _EXPLAIN_ROWS])
                c1 = _contributions(model.stage1, X1[j:j + _EXPLAIN_ROWS])
            k = int(proba[j].argmax())
            x1 = X1[j].toarray()[0]
            reasons = (_top(c2[j % _EXPLAIN_ROWS, k], k, names2, X2[j], top)
                       + _top(c1[j % _EXPLAIN_ROWS, k], k, names1, x1, top))
            out.append({"line": b.line, "label": LABELS[k],
                        "markers": [f"{m.group}: {m.why} ({m.pattern!r})" for m in lexicon.fired(b.sample)],
                        "reasons": reasons})
    return out


def _contributions(booster, X) -> np.ndarray:
    """``pred_contrib`` as ``(rows, classes, features + bias)`` for dense and sparse input."""
    c = predict(booster, X, pred_contrib=True)
    if isinstance(c, list):  # sparse input: one sparse matrix per class
        return np.stack([m.toarray() for m in c], axis=1)
    return np.asarray(c).reshape(X.shape[0], len(LABELS), -1)


def _top(contrib: np.ndarray, k: int, names: list[str], values, top: int) -> list[str]:
    c = contrib[:-1]  # the last column is the bias
    order = np.argsort(-np.abs(c))[:top]
    return [f"{'+' if c[i] >= 0 else '-'}{abs(c[i]):.2f} toward {LABELS[k]}: {names[i]} = {_fmt(values[i])}"
            for i in order if c[i] != 0]


def _fmt(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.2f}"


def load(path: str | Path | None = None) -> Classifier:
    """Load a model: the bundled default when ``path`` is None."""
    return Classifier.load(path)
