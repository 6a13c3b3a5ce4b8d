"""The model: two stacked LightGBM stages over block features.

Stage 1 sees a block's own features (shape, markers, tokens, neighbours'
shape) and what a linear model of the block's token n-grams says of it and
its neighbours. Stage 2 sees stage 1's class probabilities of the surrounding blocks
(offsets, window means, page means) next to the dense features, so a block's
label can follow its neighbours': a teaser list is a run, an article one
contiguous stretch. Stage 2 is trained on *out-of-fold* stage-1 probabilities
(folds grouped by site), so it learns how stage 1 errs on unseen sites rather
than trusting probabilities fitted on the very labels it is learning.
"""
from __future__ import annotations

import inspect
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from .features import BlockFeaturizer, shifted, window_mean
from .segment import Block

LABELS: tuple[str, ...] = ("article", "teaser", "navigation", "ad")

_PARAMS = dict(
    objective="multiclass", num_class=len(LABELS), learning_rate=0.12, num_leaves=31,
    min_data_in_leaf=20, feature_fraction=0.7, bagging_fraction=0.8, bagging_freq=1,
    lambda_l2=1.0, seed=7, deterministic=True, force_row_wise=True, verbose=-1,
)
_ROUNDS = 150
#: Stage 2 learns from out-of-fold probabilities of ~75 pages: few, strongly
#: correlated rows per page, so it gets smaller trees and more smoothing.
_PARAMS2 = dict(_PARAMS, num_leaves=15, min_data_in_leaf=60, feature_fraction=0.5, lambda_l2=5.0)
_OFFSETS = (-3, -2, -1, 1, 2, 3)
_WINDOWS = (2, 5, 10, 25)


def _lgb():
    import lightgbm  # deferred: importing the package must stay light

    return lightgbm


def predict(booster, X, **kw) -> np.ndarray:
    """Booster prediction on one thread.

    Pages are a few dozen rows: OpenMP start-up costs more than it saves, and
    threads oversubscribe the cores when crawlers run several worker
    processes. Parallelism comes from ``score_many(n_jobs=...)`` instead.
    """
    return booster.predict(X, num_threads=1, **kw)


def context_features(proba: np.ndarray, page_sizes: Sequence[int], period: np.ndarray | None = None) -> np.ndarray:
    """Stage-2 columns from stage-1 probabilities, computed page by page.

    ``period`` (one per block, the featurizer's template period) lets a block
    borrow the evidence of the same field in the neighbouring cards: a card's
    meta line looks like a menu entry, its sibling cards' excerpts do not.
    """
    k = proba.shape[1]
    out = []
    start = 0
    for n in page_sizes:
        p = proba[start:start + n]
        per = (period[start:start + n].astype(np.int64) if period is not None
               else np.ones(n, np.int64))
        start += n
        cols = neighbour_columns(p, _OFFSETS, _WINDOWS)
        idx = np.arange(n)
        cols.append(np.repeat(p.mean(axis=0, keepdims=True) if n else np.zeros((0, k)), n, axis=0))
        slot = np.zeros_like(p)
        cnt = np.zeros(n)
        for mult in (-2, -1, 1, 2):
            j = idx + mult * per
            ok = (j >= 0) & (j < n)
            slot[ok] += p[j[ok]]
            cnt[ok] += 1
        cols.append(np.where(cnt[:, None] > 0, slot / np.maximum(cnt, 1)[:, None], -1.0))
        # the whole card: mean over one period centred on the block
        cols.append(window_mean(p, per // 2, width=np.maximum(per, 1)))
        out.append(np.hstack(cols))
    if not out:
        return np.zeros((0, k * (4 + len(_OFFSETS) + len(_WINDOWS))), np.float32)
    return np.vstack(out).astype(np.float32)


def neighbour_columns(p: np.ndarray, offsets: Sequence[int], windows: Sequence[int]) -> list[np.ndarray]:
    """One page's per-block probabilities, then the blocks' at ``offsets``, then window means."""
    return [p] + [shifted(p, off) for off in offsets] + [window_mean(p, w) for w in windows]


def neighbour_names(own: str, what: str, offsets: Sequence[int], windows: Sequence[int]) -> list[str]:
    """Names of :func:`neighbour_columns`: ``own(class)`` for the block's, ``what(class)`` for the rest."""
    names = [f"{own}({c})" for c in LABELS]
    for off in offsets:
        names += [f"block {off:+d}: {what}({c})" for c in LABELS]
    for w in windows:
        names += [f"±{w} blocks: mean {what}({c})" for c in LABELS]
    return names


def context_names() -> list[str]:
    return (neighbour_names("stage 1 P", "P", _OFFSETS, _WINDOWS) + [f"page: mean P({c})" for c in LABELS]
            + [f"same card field: mean P({c})" for c in LABELS]
            + [f"whole card: mean P({c})" for c in LABELS])


class LexicalModel:
    """Logistic regression over a block's token n-gram columns: P(class) per block.

    Trees split on one n-gram at a time and so use few of the thousands of
    token columns; a linear model weighs all of them at once and hands
    stage 1 its verdict as four dense columns. Rows are L2-normalised so long
    blocks do not outvote short ones.
    """

    def __init__(self, C: float = 0.3):
        self.C = C
        self.coef_: np.ndarray | None = None  # (classes, n-grams), all of LABELS
        self.intercept_: np.ndarray | None = None

    def fit(self, T: sp.csr_matrix, y: np.ndarray) -> "LexicalModel":
        from sklearn.linear_model import LogisticRegression  # deferred: training only

        k = len(LABELS)
        # classes absent from y get no weight and a prior far below the rest
        self.coef_ = np.zeros((k, T.shape[1]), np.float32)
        self.intercept_ = np.full(k, -30.0)
        present = np.unique(y)
        if len(present) < 2 or T.shape[1] == 0:  # nothing to weigh: the (balanced) prior
            self.intercept_[present] = 0.0
            return self
        # newton-cg: a few Newton steps on these sparse rows; 0.1 s on the corpus where lbfgs took 10 s
        lr = LogisticRegression(C=self.C, solver="newton-cg", max_iter=1000,
                                class_weight="balanced").fit(_l2_rows(T), y)
        if len(present) == 2:  # scikit-learn keeps one weight vector: P(second) = sigmoid(w.x + b)
            self.coef_[present[1]] = lr.coef_[0]
            self.intercept_[present] = (0.0, lr.intercept_[0])
        else:
            self.coef_[lr.classes_] = lr.coef_
            self.intercept_[lr.classes_] = lr.intercept_
        return self

    def predict_proba(self, T: sp.csr_matrix) -> np.ndarray:
        # the fitted weights applied here, not by scikit-learn: the artifact
        # holds plain arrays, so scoring imports no estimator code
        z = np.asarray(_l2_rows(T) @ self.coef_.T) + self.intercept_
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def _l2_rows(T: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(T.multiply(T).sum(axis=1)).ravel())
    return sp.diags(1.0 / np.maximum(norms, 1e-12)) @ T


#: Offsets and half-widths of the lexical verdicts a block's stage-1 row sees.
_LEX_OFFSETS = (-1, 1)
_LEX_WINDOWS = (2, 6)


def lexical_features(proba: np.ndarray, page_sizes: Sequence[int]) -> np.ndarray:
    """A block's lexical P(class), its neighbours' and window means, page by page."""
    out = []
    start = 0
    for n in page_sizes:
        p = proba[start:start + n]
        start += n
        out.append(np.hstack(neighbour_columns(p, _LEX_OFFSETS, _LEX_WINDOWS)))
    width = len(LABELS) * (1 + len(_LEX_OFFSETS) + len(_LEX_WINDOWS))
    return np.vstack(out).astype(np.float32) if out else np.zeros((0, width), np.float32)


def lexical_names() -> list[str]:
    return neighbour_names("tokens: P", "tokens P", _LEX_OFFSETS, _LEX_WINDOWS)


def _group_folds(groups: Sequence, n_folds: int) -> list[np.ndarray]:
    """Assign whole groups to folds, largest first, to balance fold sizes."""
    groups = np.asarray(groups)
    uniq, counts = np.unique(groups, return_counts=True)
    n_folds = max(2, min(n_folds, len(uniq)))
    load = np.zeros(n_folds)
    fold_of = {}
    for g, c in sorted(zip(uniq, counts), key=lambda t: (-t[1], str(t[0]))):
        f = int(np.argmin(load))
        fold_of[g] = f
        load[f] += c
    ids = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(ids == f) for f in range(n_folds)]


def _out_of_fold(folds: list[np.ndarray], keep: np.ndarray, fit_predict) -> np.ndarray:
    """Rows of each fold predicted by ``fit_predict(train, test)`` fitted on the other folds' kept rows."""
    out = np.zeros((len(keep), len(LABELS)))
    for test in folds:
        train = np.setdiff1d(np.arange(len(keep)), test)
        out[test] = fit_predict(train[keep[train]], test)
    return out


def _class_weights(y: np.ndarray) -> np.ndarray:
    # Inverse square-root frequency: rare ads count more without drowning
    # precision on the common navigation class.
    counts = np.bincount(y, minlength=len(LABELS)).astype(float)
    w = 1.0 / np.sqrt(np.maximum(counts, 1))
    w = w / w[y].mean()
    return w[y]


class BlockModel:
    """Two-stage block classifier with scikit-learn's fit / predict shape.

    ``fit(pages, y, groups)`` takes pages as lists of blocks, ``y`` one label
    index per block (pages concatenated) and ``groups`` one site per page.
    ``predict_proba(pages)`` returns ``(n_blocks, 4)`` in :data:`LABELS` order.
    ``augment`` generated Japanese and English listing pages
    (:mod:`spamfilter.augment`), assembled from the training pages' own
    blocks, are added to training only (on 10 site-grouped folds, Japanese
    listings alone took macro-F1 from 0.602 to 0.625; adding English pages and
    catalogue cards took teaser F1 on listing sites from 0.634 to 0.673).
    More is worse: 30 and 60 pages scored alike (0.622, 0.624), 90 and 120
    pages 0.612 and 0.578, Japanese teasers worst hit. Not through their
    weight alone: 120 pages at half weight scored 0.589.
    """

    def __init__(self, inner_folds: int = 4, rounds: int = _ROUNDS, min_groups: int = 3, augment: int = 60,
                 n_jobs: int = 2):
        self.inner_folds = inner_folds
        self.augment = augment
        self.rounds = rounds
        self.min_groups = min_groups
        self.n_jobs = n_jobs  # LightGBM threads while fitting; the trees do not depend on it
        self.featurizer = BlockFeaturizer(min_groups=min_groups)
        self.lexical = None
        self.stage1 = None
        self.stage2 = None

    def fit(self, pages: Sequence[Sequence[Block]], y: np.ndarray, groups: Sequence[str]) -> "BlockModel":
        y = np.asarray(y, dtype=np.int64)
        self.featurizer.fit(pages, groups)  # the vocabulary comes from real pages only
        if self.augment:
            from .augment import synthetic_pages  # training only

            bounds = np.cumsum([0] + [len(p) for p in pages])
            syn, syn_y = synthetic_pages(pages, [y[a:b] for a, b in zip(bounds[:-1], bounds[1:])], self.augment)
            pages = list(pages) + syn
            y = np.concatenate([y] + syn_y)
            groups = list(groups) + [f"synthetic:{i}" for i in range(len(syn))]
        sizes = [len(p) for p in pages]
        X0 = self.featurizer.transform(pages)
        keep = y >= 0  # rows of partly labelled pages keep their context but do not train
        row_group = np.repeat(np.asarray(groups, dtype=object), sizes)
        inner = _group_folds(row_group, self.inner_folds) if len(set(groups)) >= 2 else []
        # the lexical verdicts stage 1 trains on are out-of-fold like stage 2's
        # input, or stage 1 would learn to trust verdicts on text they were fitted to
        T = self._tokens(X0)
        lex = _out_of_fold(inner, keep, lambda tr, te: LexicalModel().fit(T[tr], y[tr]).predict_proba(T[te]))
        self.lexical = LexicalModel().fit(T[keep], y[keep])
        if not inner:  # one site: no honest out-of-fold estimate, fall back to in-sample
            lex = self.lexical.predict_proba(T)
        X1 = self._with_lexical(X0, lex, sizes)
        oof = _out_of_fold(inner, keep, lambda tr, te: predict(self._train(X1[tr], y[tr]), X1[te]))
        self.stage1 = self._train(X1[keep], y[keep])
        if not inner:
            oof = predict(self.stage1, X1)
        X2 = self._stage2_matrix(X1, oof, sizes)
        self.stage2 = self._train(X2[keep], y[keep], _PARAMS2)
        return self

    def set_params(self, **params) -> "BlockModel":
        """Set constructor parameters (scikit-learn's convention), e.g. ``n_jobs`` in worker processes."""
        names = set(inspect.signature(type(self).__init__).parameters) - {"self"}
        for k, v in params.items():
            if k not in names:
                raise ValueError(f"BlockModel has no parameter {k!r}")
            setattr(self, k, v)
        return self

    def predict_proba(self, pages: Sequence[Sequence[Block]]) -> np.ndarray:
        return self.predict_proba_features(self.stage1_matrix(pages), [len(p) for p in pages])

    def predict_proba_features(self, X1: sp.csr_matrix, sizes: Sequence[int]) -> np.ndarray:
        """Probabilities from a :meth:`stage1_matrix`."""
        if X1.shape[0] == 0:
            return np.zeros((0, len(LABELS)))
        p1 = predict(self.stage1, X1)
        return predict(self.stage2, self._stage2_matrix(X1, p1, sizes))

    def stage1_matrix(self, pages: Sequence[Sequence[Block]]) -> sp.csr_matrix:
        """Stage 1's input: the featurizer's columns, then the lexical verdicts."""
        X0 = self.featurizer.transform(pages)
        sizes = [len(p) for p in pages]
        lex = self.lexical.predict_proba(self._tokens(X0)) if X0.shape[0] else np.zeros((0, len(LABELS)))
        return self._with_lexical(X0, lex, sizes)

    def predict(self, pages: Sequence[Sequence[Block]]) -> np.ndarray:
        return self.predict_proba(pages).argmax(axis=1)

    def stage2_matrix(self, X1: sp.csr_matrix, sizes: Sequence[int]) -> np.ndarray:
        """The stage-2 input for a :meth:`stage1_matrix` (for explanations)."""
        return self._stage2_matrix(X1, predict(self.stage1, X1), sizes)

    def feature_names(self, stage: int = 2) -> list[str]:
        if stage == 1:
            return self.featurizer.feature_names() + lexical_names()
        return context_names() + self.featurizer.dense_names() + lexical_names()

    def _tokens(self, X0: sp.csr_matrix) -> sp.csr_matrix:
        return X0[:, len(self.featurizer.dense_names()):]

    @staticmethod
    def _with_lexical(X0: sp.csr_matrix, lex: np.ndarray, sizes: Sequence[int]) -> sp.csr_matrix:
        return sp.hstack([X0, sp.csr_matrix(lexical_features(lex, sizes))], format="csr", dtype=np.float32)

    def _stage2_matrix(self, X1, p1, sizes) -> np.ndarray:
        names = self.featurizer.dense_names()
        n_lex = len(lexical_names())
        dense = np.hstack([X1[:, :len(names)].toarray(), X1[:, X1.shape[1] - n_lex:].toarray()])
        period = dense[:, names.index("template: best period")]
        return np.hstack([context_features(p1, sizes, period), dense]).astype(np.float32)

    def _train(self, X, y, params=None):
        lgb = _lgb()
        ds = lgb.Dataset(X, label=y, weight=_class_weights(y), free_raw_data=True,
                         params={"verbose": -1})
        params = dict(params or _PARAMS, num_threads=getattr(self, "n_jobs", 2))  # models saved before n_jobs existed
        return lgb.train(params, ds, num_boost_round=self.rounds)

    def __getstate__(self):
        # Boosters are stored as their text form: stable across processes and
        # loadable without pickle quirks of the C handle.
        d = dict(self.__dict__)
        d["stage1"] = self.stage1.model_to_string() if self.stage1 is not None else None
        d["stage2"] = self.stage2.model_to_string() if self.stage2 is not None else None
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        if isinstance(d.get("stage1"), str):
            lgb = _lgb()
            self.stage1 = lgb.Booster(model_str=d["stage1"])
            self.stage2 = lgb.Booster(model_str=d["stage2"])
