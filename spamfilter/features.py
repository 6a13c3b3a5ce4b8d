"""Extracting features: blocks of pages -> one feature row per block.

Three families, concatenated column-wise:

* **shape** of the block itself: length, script mix, sentences, ending, and one
  column per marker group of the lexicon (``data/markers.tsv``);
* **context**: the neighbours' shape, runs of similar lines, the title/excerpt
  rhythm of listings, position in the page and in the page's densest run;
* **template**: how periodic the page is around the block (listing cards
  repeat a coarse shape signature with period 2..8, menus with period 1),
  what the periodic region holds (excerpts or bare titles), exact-text
  repeats nearby, and where the block sits in the page's character mass;
* **tokens**: uni- and bi-grams of fugashi (unidic-lite) tokens of the block's
  head and tail, over a vocabulary fitted on the training pages.

Why a fitted vocabulary rather than hashing: explanations must name features
in words (``token: 続き``), the vocabulary is small (a few thousand n-grams
seen on several *sites*, so one site's template words are not learned), and
lookup in a dict is as fast as hashing.
"""
from __future__ import annotations

import math
import re
import threading
from collections import Counter
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from .markers import Lexicon, default_lexicon, normalize
from .segment import Block

#: Characters of a block's head and tail that are tokenized.
TOKEN_HEAD = 80
TOKEN_TAIL = 24

_TERMINAL = tuple("。．.!?！？」』)）\"”")
_SENTENCE_END = re.compile(r"[。！？!?]|\.(?:\s|$)")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_DIGITS = re.compile(r"\d+")


_SCRIPTS = [re.compile(r) for r in (
    r"[\u3040-\u30ff\uff66-\uff9f]",        # kana
    r"[\u3400-\u4dbf\u4e00-\u9fff]",        # kanji
    r"[^\W\d_\u3040-\u30ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff]",  # other letters (latin...)
    r"\d",
    r"[^\w\s]|_",                          # punctuation and symbols
    r"\s",
)]


def japanese_chars(text: str) -> int:
    """Kana and common kanji in ``text``: how page and block languages are told apart."""
    return sum(1 for ch in text if "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")


def _char_shares(s: str) -> list[float]:
    """Shares of kana, kanji, other letters, digits, punctuation, space (regex counts run in C)."""
    n = max(len(s), 1)
    return [len(r.findall(s)) / n for r in _SCRIPTS]


class Tokenizer:
    """fugashi + unidic-lite word segmentation, safe to share between threads."""

    def __init__(self) -> None:
        self._tagger = None
        self._lock = threading.Lock()

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()

    def __call__(self, text: str) -> list[str]:
        with self._lock:
            if self._tagger is None:
                import fugashi  # deferred: only scoring and training need it

                self._tagger = fugashi.Tagger("-Owakati")
            try:
                out = self._tagger.parse(text)
            except UnicodeEncodeError:  # lone surrogates cannot reach MeCab as UTF-8
                out = self._tagger.parse(text.encode("utf-8", "replace").decode("utf-8"))
        return out.split() if out else []


def ngrams(tokens: Sequence[str]) -> list[str]:
    """Uni- and bi-grams of normalised tokens (digits folded to ``0``)."""
    # one pass over the joined text instead of two regex calls per token;
    # tokens hold no whitespace, so splitting restores them one for one
    toks = _DIGITS.sub("0", " ".join(tokens).casefold()).split()
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


def token_text(block: Block) -> str:
    """The bounded part of a block that is tokenized: its head and tail."""
    t = block.content
    if len(t) <= TOKEN_HEAD + TOKEN_TAIL:
        return t
    return t[:TOKEN_HEAD] + " " + t[-TOKEN_TAIL:]


class BlockFeaturizer:
    """Transformer from pages (lists of :class:`Block`) to a CSR feature matrix.

    ``fit(pages, groups)`` learns the token vocabulary; ``transform(pages)``
    returns one row per block, pages concatenated in order. ``groups`` (the
    site of each page) decides which n-grams generalize: only those seen on at
    least ``min_groups`` sites are kept.
    """

    def __init__(self, min_groups: int = 3, max_tokens: int = 4000, lexicon: Lexicon | None = None):
        self.min_groups = min_groups
        self.max_tokens = max_tokens
        self.lexicon = lexicon or default_lexicon()
        self.tokenizer = Tokenizer()
        self.vocabulary_: dict[str, int] = {}

    # -- sklearn-style API -------------------------------------------------
    def fit(self, pages: Sequence[Sequence[Block]], groups: Sequence[str] | None = None) -> "BlockFeaturizer":
        groups = list(groups) if groups is not None else list(range(len(pages)))
        seen: dict[str, set] = {}
        freq: Counter = Counter()
        for page, g in zip(pages, groups):
            for b in page:
                for ng in set(ngrams(self.tokenizer(token_text(b)))):
                    seen.setdefault(ng, set()).add(g)
                    freq[ng] += 1
        keep = [ng for ng, gs in seen.items() if len(gs) >= self.min_groups]
        keep.sort(key=lambda ng: (-len(seen[ng]), -freq[ng], ng))
        self.vocabulary_ = {ng: i for i, ng in enumerate(sorted(keep[: self.max_tokens]))}
        return self

    def transform(self, pages: Sequence[Sequence[Block]]) -> sp.csr_matrix:
        dense = [self.dense_features(p) for p in pages]
        tokens = [self.token_features(p) for p in pages]
        d = np.vstack(dense) if dense else np.zeros((0, len(self.dense_names())), np.float32)
        t = sp.vstack(tokens, format="csr") if tokens else sp.csr_matrix((0, len(self.vocabulary_)), dtype=np.float32)
        return sp.hstack([sp.csr_matrix(d), t], format="csr", dtype=np.float32)

    def fit_transform(self, pages, groups=None) -> sp.csr_matrix:
        return self.fit(pages, groups).transform(pages)

    def feature_names(self) -> list[str]:
        """Readable column names, in column order."""
        inv = sorted(self.vocabulary_, key=self.vocabulary_.get)
        return self.dense_names() + [f"token: {ng}" for ng in inv]

    # -- families ----------------------------------------------------------
    _SHAPE = ["log length", "kana share", "kanji share", "latin share", "digit share",
              "punctuation share", "space share", "sentences", "ends like a sentence",
              "latin words", "capitalised word share", "starts with a digit",
              "has a separator (| / :)", "repeated elsewhere on the page"]
    _NEIGH = ["log length", "ends like a sentence", "truncated", "list marker", "date"]
    _OFFSETS = (-2, -1, 1, 2)
    _CONTEXT = ["length ratio to previous", "length ratio to next",
                "same shape as 2 back", "same shape as 2 ahead",
                "run of similar lines", "run of list lines",
                "window: truncated share", "window: mean log length", "window: sentence share",
                "window: list share", "window: date share",
                "position in page", "log blocks in page", "log blocks before", "log blocks after",
                "in densest run", "densest run: relative position", "densest run: char share",
                "page: truncated share", "page: list share", "page: dense share",
                "page: log chars", "page: japanese share", "page: date share"]
    #: Listing cards repeat a template (title, meta, excerpt) with a short
    #: period; menus are runs of period 1. Scored on a coarse shape key so
    #: that titles of different lengths still match.
    _PERIODS = tuple(range(1, 9))
    _TEMPLATE = ["template: period-1 score", "template: best period", "template: best period score",
                 "template: period-2 score", "template: region log blocks",
                 "template: region truncated share", "template: region sentence share",
                 "template: region mean log length", "template: region date share",
                 "same text: log distance to nearest", "same text: log count on page",
                 "same text: repeats within 2-16 blocks",
                 "chars before: share of page", "chars after: share of page",
                 "window ±12: truncated share", "window ±12: mean log length",
                 "window ±12: sentence share", "window ±12: date share",
                 "blocks to densest run (signed log)"]

    def dense_names(self) -> list[str]:
        names = list(self._SHAPE) + [f"marker: {g}" for g in self.lexicon.groups]
        for off in self._OFFSETS:
            names += [f"block {off:+d}: {n}" for n in self._NEIGH]
        return names + list(self._CONTEXT) + list(self._TEMPLATE)

    def dense_features(self, page: Sequence[Block]) -> np.ndarray:
        """Shape and context columns for one page (``n_blocks x n_dense``)."""
        n = len(page)
        groups = self.lexicon.groups
        gi = {g: i for i, g in enumerate(groups)}
        shape = np.zeros((n, len(self._SHAPE) + len(groups)), np.float32)
        samples = [b.sample for b in page]
        norms = [normalize(s) for s in samples]
        counts = Counter(norms)
        for i, (b, s, norm) in enumerate(zip(page, samples, norms)):
            kana, kanji, latin, digit, punct, space = _char_shares(s)
            words = _LATIN_WORD.findall(s)
            caps = sum(1 for w in words if w[0].isupper())
            shape[i, :14] = (
                math.log1p(len(b.content)), kana, kanji, latin, digit, punct, space,
                min(len(_SENTENCE_END.findall(s)), 20), norm.endswith(_TERMINAL),
                math.log1p(len(words)), caps / len(words) if words else 0.0,
                norm[:1].isdigit(), any(c in s for c in "|/:："), counts[norm] > 1,
            )
            shape[i, 14:] = self.lexicon.groups_fired(norm)
        loglen = shape[:, 0]
        sent = shape[:, 8]
        trunc = shape[:, 14 + gi["truncation"]]
        lst = np.maximum(shape[:, 14 + gi["list_marker"]], shape[:, 14 + gi["numbered"]])
        date = shape[:, 14 + gi["date"]]
        neigh = np.stack([loglen, sent, trunc, lst, date], axis=1)

        cols = [shape] + [shifted(neigh, off) for off in self._OFFSETS]

        ctx = np.zeros((n, len(self._CONTEXT)), np.float32)
        if n:
            prev = np.concatenate([[np.nan], loglen[:-1]])
            nxt = np.concatenate([loglen[1:], [np.nan]])
            ctx[:, 0] = np.nan_to_num(loglen - prev, nan=0.0)
            ctx[:, 1] = np.nan_to_num(loglen - nxt, nan=0.0)
            key = np.round(loglen * 1.5) * 4 + trunc * 2 + lst
            back2 = np.concatenate([[np.nan, np.nan], key[:-2]])[:n]
            ahead2 = np.concatenate([key[2:], [np.nan, np.nan]])[-n:] if n >= 2 else np.full(n, np.nan)
            ctx[:, 2] = key == back2
            ctx[:, 3] = key == ahead2
            ctx[:, 4] = np.log1p(_run_lengths(key))
            ctx[:, 5] = np.log1p(_run_lengths(lst) * lst)
            for j, v in enumerate((trunc, loglen, sent, lst, date)):
                ctx[:, 6 + j] = window_mean(v, 5)
            idx = np.arange(n, dtype=np.float32)
            ctx[:, 11] = idx / max(n - 1, 1)
            ctx[:, 12] = math.log1p(n)
            ctx[:, 13] = np.log1p(idx)
            ctx[:, 14] = np.log1p(n - 1 - idx)
            dense = (loglen >= math.log1p(50)) | (sent > 0) & (loglen >= math.log1p(20))
            a, z = _densest_run(dense, np.expm1(loglen))
            if z > a:
                ctx[a:z, 15] = 1.0
                ctx[:, 16] = (idx - a) / max(z - a, 1)
                total = float(np.expm1(loglen).sum()) or 1.0
                ctx[:, 17] = float(np.expm1(loglen[a:z]).sum()) / total
            ctx[:, 18] = trunc.mean()
            ctx[:, 19] = lst.mean()
            ctx[:, 20] = dense.mean()
            ctx[:, 21] = math.log1p(float(np.expm1(loglen).sum()))
            ctx[:, 22] = float((shape[:, 1] + shape[:, 2]).mean())
            ctx[:, 23] = date.mean()
        cols.append(ctx)
        cols.append(self._template_features(norms, counts, shape, loglen, sent, trunc, date,
                                            a if n else 0, z if n else 0))
        return np.hstack(cols).astype(np.float32)

    def _template_features(self, norms, counts, shape, loglen, sent, trunc, date, a, z) -> np.ndarray:
        n = len(norms)
        out = np.zeros((n, len(self._TEMPLATE)), np.float32)
        if n == 0:
            return out
        gi = {g: i for i, g in enumerate(self.lexicon.groups)}
        digit_start = shape[:, 11]
        price = shape[:, 14 + gi["price"]]
        key = (np.minimum(np.round(loglen * 1.2), 9) * 64 + trunc * 32 + sent * 16
               + date * 8 + digit_start * 4 + price * 2 + (shape[:, 2] + shape[:, 1] > 0.3))
        # score_p[i]: share of positions near i whose key equals the key p
        # blocks back; a window of about two periods tolerates the odd
        # mismatching field (a long title, a missing meta line).
        scores = np.zeros((len(self._PERIODS), n), np.float32)
        for k, p in enumerate(self._PERIODS):
            if n <= p:
                continue
            eq = np.zeros(n, np.float32)
            eq[p:] = key[p:] == key[:-p]
            fwd = np.zeros(n, np.float32)
            fwd[:-p] = eq[p:]
            scores[k] = window_mean(np.maximum(eq, fwd), max(2 * p, 3))
        out[:, 0] = scores[0]
        # a period is only template evidence when it beats its divisors
        # (period 4 of a period-2 list scores just as high).
        best_k = np.argmax(scores[1:] - 0.02 * np.arange(1, len(self._PERIODS))[:, None], axis=0) + 1
        best = scores[best_k, np.arange(n)]
        out[:, 1] = np.asarray(self._PERIODS)[best_k]
        out[:, 2] = best
        out[:, 3] = scores[1]
        region = (best >= 0.6) & (best > scores[0])
        rl = _run_lengths(region.astype(np.float32)) * region
        out[:, 4] = np.log1p(rl)
        # the region's content: cards with excerpts (teasers) vs bare titles (navigation)
        starts = np.flatnonzero(np.diff(np.concatenate([[0], region.astype(np.int8)])) == 1)
        ends = np.flatnonzero(np.diff(np.concatenate([region.astype(np.int8), [0]])) == -1) + 1
        for s0, e0 in zip(starts, ends):
            for j, v in enumerate((trunc, sent, loglen, date)):
                out[s0:e0, 5 + j] = v[s0:e0].mean()
        last: dict[str, int] = {}
        dist = np.full(n, np.inf)
        for i, t in enumerate(norms):
            j = last.get(t)
            if j is not None:
                dist[i] = min(dist[i], i - j)
                dist[j] = min(dist[j], i - j)
            last[t] = i
        out[:, 9] = np.log1p(np.where(np.isfinite(dist), dist, 1000.0))
        out[:, 10] = np.log1p([counts[t] for t in norms])
        out[:, 11] = (np.isfinite(dist) & (dist >= 2) & (dist <= 16)).astype(np.float32)
        chars = np.expm1(loglen)
        total = float(chars.sum()) or 1.0
        cum = np.cumsum(chars)
        out[:, 12] = (cum - chars) / total
        out[:, 13] = (total - cum) / total
        for j, v in enumerate((trunc, loglen, sent, date)):
            out[:, 14 + j] = window_mean(v, 12)
        idx = np.arange(n)
        if z > a:
            d = np.where(idx < a, idx - a, np.where(idx >= z, idx - z + 1, 0))
            out[:, 18] = np.sign(d) * np.log1p(np.abs(d))
        return out

    def token_features(self, page: Sequence[Block]) -> sp.csr_matrix:
        """Binary n-gram presence columns for one page."""
        vocab = self.vocabulary_
        indptr = [0]
        indices: list[int] = []
        for b in page:
            cols = {vocab[g] for g in ngrams(self.tokenizer(token_text(b))) if g in vocab}
            indices.extend(sorted(cols))
            indptr.append(len(indices))
        data = np.ones(len(indices), np.float32)
        return sp.csr_matrix((data, np.asarray(indices, np.int32), np.asarray(indptr, np.int64)),
                             shape=(len(page), len(vocab)))


def shifted(rows: np.ndarray, off: int, fill: float = -1.0) -> np.ndarray:
    """Row ``i`` of the result is row ``i + off`` of ``rows`` (``fill`` past the page's edges)."""
    n = len(rows)
    out = np.full_like(rows, fill)
    if off < 0 and n > -off:
        out[-off:] = rows[:off]
    elif off > 0 and n > off:
        out[:-off] = rows[off:]
    return out


def _run_lengths(key: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of equal values containing it."""
    n = len(key)
    out = np.ones(n, np.float32)
    start = 0
    for i in range(1, n + 1):
        if i == n or key[i] != key[start]:
            out[start:i] = i - start
            start = i
    return out


def window_mean(v: np.ndarray, half: int | np.ndarray, width: np.ndarray | None = None) -> np.ndarray:
    """Mean of ``v`` (1-D, or rows of a 2-D array) over positions ``i-half .. i+half``, clipped at edges.

    With ``width`` (per position) the window is ``width`` positions starting
    at ``i - half`` instead (``half`` may then be per position too).
    """
    v = np.asarray(v)
    n = len(v)
    c = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(v, axis=0, dtype=np.float64)])
    idx = np.arange(n)
    lo = np.clip(idx - half, 0, n)
    hi = np.clip(lo + width if width is not None else idx + half + 1, 0, n)
    size = np.maximum(hi - lo, 1).reshape((n,) + (1,) * (v.ndim - 1))
    return ((c[hi] - c[lo]) / size).astype(np.float32)


def _densest_run(dense: np.ndarray, chars: np.ndarray, max_gap: int = 2) -> tuple[int, int]:
    """The run of dense blocks (gaps of up to ``max_gap`` allowed) with most characters."""
    best = (0, 0, 0.0)
    start = None
    gap = 0
    total = 0.0
    last = -1
    for i, d in enumerate(dense):
        if d:
            if start is None:
                start, total = i, 0.0
            total += chars[i]
            gap = 0
            last = i
            if total > best[2]:
                best = (start, last + 1, total)
        elif start is not None:
            gap += 1
            if gap > max_gap:
                start = None
    return best[0], best[1]

