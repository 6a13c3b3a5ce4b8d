"""The page score: block labels -> quality, spam probability and verdict.

``quality`` is the share of the page's characters in blocks labelled article.
``spam`` is a page-level logistic regression over what the block model says
about the whole page (character and block shares of each label, size). It is
fitted on out-of-fold block predictions of the labelled pages, with the
target "low-value page" = less than a quarter of the page's characters are
article by the gold labels; so it learns how to read imperfect block labels,
and needs no page-level annotation beyond the block labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .model import LABELS
from .segment import Block

#: Gold article character share below which a labelled page counts as low-value.
LOW_VALUE_ARTICLE_SHARE = 0.25
#: ``spam`` at or above this makes the verdict "aggregator" (or "ad").
SPAM_THRESHOLD = 0.5
#: Share of characters labelled ad at or above which a low-value page is "ad".
AD_SHARE_THRESHOLD = 0.3
#: ``quality`` below this is no article whatever ``spam`` says: "aggregator".
MIN_ARTICLE_QUALITY = 0.1

VERDICTS = ("article", "aggregator", "ad", "empty")

_A, _T, _N, _D = (LABELS.index(c) for c in ("article", "teaser", "navigation", "ad"))


def block_chars(blocks: Sequence[Block]) -> np.ndarray:
    """Characters of each block (stripped), the weight of a block in page shares."""
    return np.array([len(b.content) for b in blocks], dtype=np.float64)


def label_shares(labels: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Character share of each label on a page (zeros for an empty page)."""
    total = chars.sum()
    if total <= 0:
        return np.zeros(len(LABELS))
    return np.array([chars[labels == k].sum() / total for k in range(len(LABELS))])


def page_features(proba: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Page-level inputs of the spam model: label shares by characters and by blocks, size."""
    if len(chars) == 0:
        return np.zeros(2 * len(LABELS) + 2)
    labels = proba.argmax(axis=1)
    by_chars = label_shares(labels, chars)
    by_blocks = np.bincount(labels, minlength=len(LABELS)) / len(labels)
    return np.concatenate([by_chars, by_blocks, [math.log1p(len(chars)), math.log1p(chars.sum())]])


@dataclass
class PageModel:
    """Logistic regression ``spam = sigmoid(coef . features + intercept)`` (numpy only at scoring)."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, target: np.ndarray) -> "PageModel":
        from sklearn.linear_model import LogisticRegression  # training only

        X = np.asarray(X, dtype=np.float64)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        if len(set(target.tolist())) < 2:  # one class only: constant prior, no slope
            p = min(max(float(target.mean()), 1e-3), 1 - 1e-3)
            return cls(np.zeros(X.shape[1]), math.log(p / (1 - p)), mean, scale)
        lr = LogisticRegression(C=1.0, max_iter=1000).fit((X - mean) / scale, target)
        return cls(lr.coef_[0].copy(), float(lr.intercept_[0]), mean, scale)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(X) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def verdict(quality: float, spam: float, ad_share: float, n_blocks: int) -> str:
    """The page's verdict from its scores (thresholds are the module constants)."""
    if n_blocks == 0:
        return "empty"
    if spam >= SPAM_THRESHOLD or quality < MIN_ARTICLE_QUALITY:
        return "ad" if ad_share >= AD_SHARE_THRESHOLD else "aggregator"
    return "article"
