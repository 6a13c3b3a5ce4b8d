"""Generated training pages: listings assembled from labelled blocks of real pages.

Real listing pages are few and each site has one template, so a model learns
those templates rather than what a listing is. Here, Japanese and English
listings in varied templates (headers, bare link lists, cards of title / meta
/ cut-off excerpt, catalogue cards of title and fixed field labels with their
values, read-more links, ads, footers) are assembled from the *training*
pages' own labelled blocks, deterministically from a seed. They are only ever added
to training data, never evaluated on, and never written to disk.
"""
from __future__ import annotations

import random
from typing import Sequence

import numpy as np

from .features import japanese_chars
from .model import LABELS
from .segment import Block, segment

_ART, _TEA, _NAV, _AD = (LABELS.index(c) for c in ("article", "teaser", "navigation", "ad"))
_ENDINGS = ("…", "...", "…", "", "\ufffd", " …", "[…]")
_READ_MORE = ("続きを読む", "もっと見る", "Read more", "Continue reading", "詳しくはこちら")
#: Values of catalogue-card fields; ``{n}`` is a number, ``{d}`` a digit.
_FIELD_VALUES = ("{n}", "{n} Min", "${n}.99", "({n})", "★{d}.{d}")
_FIELD_VALUES_JA = ("{n}", "{n}円", "{n}分", "({n})", "★{d}.{d}")


def _is_ja(text: str) -> bool:
    return japanese_chars(text[:200]) > 0.2 * min(len(text), 200)


def _pools(pages: Sequence[Sequence[Block]], ys: Sequence[np.ndarray]) -> dict:
    pools: dict = {(lang, kind): [] for lang in ("ja", "en") for kind in ("title", "body", "nav", "ad")}
    for page, y in zip(pages, ys):
        for b, lab in zip(page, y):
            t = b.content
            if not t or lab < 0:
                continue
            lang = "ja" if _is_ja(t) else "en"
            if lab in (_ART, _TEA) and 12 <= len(t) <= 70 and not t.endswith(("。", ".")):
                pools[lang, "title"].append(t)
            elif lab == _ART and len(t) >= 80:
                pools[lang, "body"].append(t)
            elif lab == _NAV and len(t) <= 40:
                pools[lang, "nav"].append(t)
            elif lab == _AD:
                pools[lang, "ad"].append(t)
    return pools


def _date(rng: random.Random, ja: bool) -> str:
    y, m, d = rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)
    if ja:
        return rng.choice([f"{y}年{m}月{d}日", f"{y}.{m:02d}.{d:02d}", f"{y}/{m}/{d}"])
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{['Jan', 'Mar', 'May', 'Jul', 'Sep', 'Nov'][m % 6]} {d}, {y}",
                       f"{rng.randint(2, 23)} hours ago"])


def _field_value(rng: random.Random, ja: bool) -> str:
    form = rng.choice(_FIELD_VALUES_JA if ja else _FIELD_VALUES)
    return form.format(n=rng.randint(1, 999), d=rng.randint(0, 9))


def listing_page(rng: random.Random, pools: dict, lang: str) -> list[tuple[str, int]] | None:
    """One generated listing page as (line, label) rows, or None if the pools are too thin."""
    ja = lang == "ja"
    title, body, nav = pools[lang, "title"], pools[lang, "body"], pools[lang, "nav"] or pools["en", "nav"]
    ads = pools[lang, "ad"] or pools["en", "ad"]
    if len(title) < 5 or len(body) < 5 or len(nav) < 5:
        return None
    rows: list[tuple[str, int]] = []
    bullet = rng.choice(["", "- ", "・", "• "])
    rows += [(bullet + rng.choice(nav), _NAV) for _ in range(rng.randint(0, 12))]
    quote = ja and rng.random() < 0.5
    meta = rng.random() < 0.5
    excerpt_first = rng.random() < 0.15
    more = rng.random() < 0.3
    # catalogue and job-board cards repeat fixed field labels ("Price",
    # "In stock") between varying titles and values: all of it is the listed
    # item, though each label alone looks like a menu entry
    fields: list[str] = []
    if rng.random() < 0.5:
        fields = [rng.choice([t for t in nav if len(t) <= 20] or nav) for _ in range(rng.randint(1, 4))]
        # catalogue cards carry no date line; the draw stays so that the
        # generated pages, and the shipped model trained on them, reproduce
        if meta:
            rng.random()
    for _ in range(rng.randint(4, 16)):
        t = rng.choice(title)
        if fields:
            card = [(t, _TEA)]
            for f in fields:
                card.append((f, _TEA))
                if rng.random() < 0.5:
                    card.append((_field_value(rng, ja), _TEA))
            if rng.random() < 0.3:
                card.append((rng.choice(body)[: rng.randint(40, 120)].rstrip() + rng.choice(_ENDINGS), _TEA))
            rows += card + ([(rng.choice(_READ_MORE), _NAV)] if more else [])
            continue
        t = f"「{t}」" if quote else t
        cut = rng.choice(body)
        cut = cut[: rng.randint(40, 160)].rstrip() + rng.choice(_ENDINGS)
        card = [(t, _TEA)] + ([(_date(rng, ja), _TEA)] if meta else []) + [(cut, _TEA)]
        if excerpt_first:
            card = card[::-1]
        rows += card + ([(rng.choice(_READ_MORE), _NAV)] if more else [])
    if ads and rng.random() < 0.7:
        rows += [(rng.choice(ads), _AD) for _ in range(rng.randint(1, 3))]
    rows += [(rng.choice(nav), _NAV) for _ in range(rng.randint(1, 8))]
    return rows


def synthetic_pages(pages: Sequence[Sequence[Block]], ys: Sequence[np.ndarray], n: int,
                    seed: int = 7, languages: Sequence[str] = ("ja", "en")) -> tuple[list[list[Block]], list[np.ndarray]]:
    """``n`` generated listing pages in ``languages`` (taking turns) and their labels."""
    rng = random.Random(seed)
    pools = _pools(pages, ys)
    out_pages, out_y = [], []
    for i in range(n * 3):
        if len(out_pages) >= n:
            break
        rows = listing_page(rng, pools, languages[i % len(languages)])
        if rows is None:
            continue
        blocks = segment("\n".join(t for t, _ in rows))
        if len(blocks) != len(rows):  # a pooled line that was only whitespace
            continue
        out_pages.append(blocks)
        out_y.append(np.array([lab for _, lab in rows], dtype=np.int64))
    return out_pages, out_y
