"""Training and evaluation: site-grouped cross-validation, reports, the model card."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .corpus import PageInfo, page_info
from .features import japanese_chars
from .labels import LabelSet
from .model import LABELS, BlockModel, _group_folds
from .page import LOW_VALUE_ARTICLE_SHARE, PageModel, block_chars, label_shares, page_features


@dataclass
class Dataset:
    """Labelled pages flattened for training: blocks, targets and per-page facts."""

    pages: list
    y: np.ndarray
    sizes: list[int]
    info: list[PageInfo]

    @classmethod
    def from_labels(cls, labels: LabelSet, corpus: str | Path) -> "Dataset":
        infos = page_info(Path(corpus), [p.page for p in labels.pages])
        info = []
        for p in labels.pages:
            i = infos[p.page]
            lang = i.language or _guess_language(p.text)
            info.append(PageInfo(i.page, i.site, lang, i.kind))
        return cls([p.blocks for p in labels.pages], np.concatenate([np.asarray(p.y) for p in labels.pages]),
                   [len(p.blocks) for p in labels.pages], info)

    @property
    def sites(self) -> list[str]:
        return [i.site for i in self.info]

    def row_page(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.pages)), self.sizes)


def _guess_language(text: str) -> str:
    sample = text[:20000]
    return "ja" if japanese_chars(sample) > 0.05 * max(len(sample), 1) else "en"


def site_folds(data: Dataset, n_folds: int) -> list[list[int]]:
    """Page indices per fold; a site's pages are always in one fold. ``n_folds<=0``: one fold per site."""
    n_sites = len(set(data.sites))
    k = n_sites if n_folds <= 0 else min(n_folds, n_sites)
    return [list(f) for f in _group_folds(np.asarray(data.sites, dtype=object), k)]


def cross_val_proba(data: Dataset, folds: list[list[int]], make_model=BlockModel, log=None,
                    n_jobs: int = 1) -> np.ndarray:
    """Out-of-fold block probabilities: each fold scored by a model trained without its sites.

    With ``n_jobs > 1`` folds are fitted in that many worker processes, one
    LightGBM thread each. LightGBM's deterministic mode grows the same trees
    on any number of threads, so the result equals ``n_jobs=1``.
    """
    out = np.zeros((len(data.y), len(LABELS)))
    rows = data.row_page()

    def tasks():
        for test in folds:
            tset = set(test)
            train = [i for i in range(len(data.pages)) if i not in tset]
            ytr = np.concatenate([data.y[rows == i] for i in train])
            yield ([data.pages[i] for i in train], ytr, [data.sites[i] for i in train],
                   [data.pages[i] for i in test])

    if n_jobs == 1:
        results = (_fold_proba(make_model, *t) for t in tasks())
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_fold_proba)(make_model, *t, n_threads=1) for t in tasks())
    for n, (test, proba) in enumerate(zip(folds, results), 1):
        out[np.isin(rows, test)] = proba
        if log:
            log(f"  fold {n}/{len(folds)}: {len(test)} page(s) held out")
    return out


def _fold_proba(make_model, train_pages, ytr, train_sites, test_pages, n_threads: int | None = None):
    model = make_model()
    if n_threads is not None:
        model.set_params(n_jobs=n_threads)
    return model.fit(train_pages, ytr, train_sites).predict_proba(test_pages)


def fit_page_model(data: Dataset, proba: np.ndarray) -> PageModel:
    """The spam model, fitted on (out-of-fold) block probabilities against gold page value."""
    X, target = page_table(data, proba)
    return PageModel.fit(X, target)


def page_table(data: Dataset, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Page features from ``proba`` and the gold low-value target, one row per page."""
    X, t = [], []
    start = 0
    for blocks, n in zip(data.pages, data.sizes):
        chars = block_chars(blocks)
        y = data.y[start:start + n]
        X.append(page_features(proba[start:start + n], chars))
        m = y >= 0
        t.append(label_shares(y[m], chars[m])[0] < LOW_VALUE_ARTICLE_SHARE)
        start += n
    return np.array(X), np.array(t, dtype=int)


def report(data: Dataset, proba: np.ndarray, spam: np.ndarray | None = None) -> dict:
    """Per-class P/R/F1, confusion, per-language and per-site figures for labelled rows."""
    m = data.y >= 0
    pred = proba.argmax(axis=1)
    out = _scores(data.y[m], pred[m])
    rows = data.row_page()
    sites = np.array(data.sites, dtype=object)[rows]
    out["interval95"] = site_bootstrap(data.y[m], pred[m], sites[m])
    lang = np.array([i.language for i in data.info], dtype=object)[rows]
    out["by_language"] = {lg: _scores(data.y[m & (lang == lg)], pred[m & (lang == lg)])
                          for lg in sorted(set(lang[m]))}
    out["by_site"] = {s: round(_scores(data.y[m & (sites == s)], pred[m & (sites == s)])["macro_f1"], 4)
                      for s in sorted(set(sites[m]))}
    listing = np.array([i.kind == "listing_page" for i in data.info])[rows]
    if (m & listing).any():
        out["listing_sites"] = _scores(data.y[m & listing], pred[m & listing])
        out["listing_sites"]["interval95"] = site_bootstrap(data.y[m & listing], pred[m & listing],
                                                            sites[m & listing])
    if spam is not None:
        kinds = [i.kind for i in data.info]
        out["spam_auc_listing_vs_article"] = _auc(
            [s for s, k in zip(spam, kinds) if k in ("listing_page", "article_page")],
            [k == "listing_page" for k in kinds if k in ("listing_page", "article_page")])
        _, target = page_table(data, proba)
        out["spam_auc_low_value"] = _auc(list(spam), list(target))
    return out


def site_bootstrap(y: np.ndarray, pred: np.ndarray, sites: np.ndarray, n_boot: int = 1000,
                   seed: int = 0) -> dict:
    """95 % intervals of macro-F1 and per-class F1 when the sites are resampled with replacement.

    Sites, not blocks, are the unit: blocks of one page err together, and
    the question a user asks is how the figure would move on other sites.
    """
    k = len(LABELS)
    uniq, inv = np.unique(np.asarray(sites, dtype=str), return_inverse=True)
    per_site = np.zeros((len(uniq), k, k))
    np.add.at(per_site, (inv, y, pred), 1)
    draws = np.random.default_rng(seed).multinomial(len(uniq), np.full(len(uniq), 1 / len(uniq)), size=n_boot)
    cm = np.einsum("bs,sij->bij", draws, per_site)
    tp = np.diagonal(cm, axis1=1, axis2=2)
    support, predicted = cm.sum(axis=2), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.nan_to_num(2 * tp / (support + predicted))  # = 2PR / (P + R)
    f1 = np.where(support > 0, f1, np.nan)  # a class absent from a resample does not count, as in _scores
    macro = np.nanmean(f1, axis=1)  # every resample holds blocks, so some class is present

    def interval(v):
        v = v[~np.isnan(v)]
        return [round(float(q), 4) for q in np.percentile(v, [2.5, 97.5])] if len(v) else None

    return {"macro_f1": interval(macro), "per_class": {c: interval(f1[:, i]) for i, c in enumerate(LABELS)},
            "resamples": n_boot, "sites": len(uniq)}


def _scores(y: np.ndarray, pred: np.ndarray) -> dict:
    k = len(LABELS)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y, pred), 1)
    per = {}
    for i, c in enumerate(LABELS):
        tp = cm[i, i]
        p = tp / cm[:, i].sum() if cm[:, i].sum() else 0.0
        r = tp / cm[i].sum() if cm[i].sum() else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per[c] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": int(cm[i].sum())}
    present = [c for c in LABELS if per[c]["support"] > 0]
    macro = float(np.mean([per[c]["f1"] for c in present])) if present else 0.0
    return {"per_class": per, "macro_f1": round(macro, 4),
            "accuracy": round(float((y == pred).mean()) if len(y) else 0.0, 4), "confusion": cm.tolist(),
            "n": int(len(y))}


def _auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    if not pos or not neg:
        return None
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return round(wins / (len(pos) * len(neg)), 4)


def format_report(r: dict, title: str = "") -> str:
    """The human-readable report: per-class table, confusion matrix, languages, weakest sites."""
    lines = [title] if title else []
    lines.append(f"{'class':<12}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}")
    for c in LABELS:
        s = r["per_class"][c]
        lines.append(f"{c:<12}{s['precision']:>10.3f}{s['recall']:>9.3f}{s['f1']:>8.3f}{s['support']:>9}")
    lines.append(f"{'macro-F1':<12}{r['macro_f1']:>27.3f}{r['n']:>9}   accuracy {r['accuracy']:.3f}")
    if r.get("interval95", {}).get("macro_f1"):
        iv = r["interval95"]
        lines.append(f"95% interval, resampling the {iv['sites']} sites: macro-F1 {_span(iv['macro_f1'])}; "
                     + ", ".join(f"{c} {_span(iv['per_class'][c])}" for c in LABELS))
    lines.append("confusion (rows gold, columns predicted): " + " ".join(f"{c[:4]:>6}" for c in LABELS))
    for c, row in zip(LABELS, r["confusion"]):
        lines.append(f"  {c:<10}" + "".join(f"{v:>7}" for v in row))
    for lg, s in r.get("by_language", {}).items():
        lines.append(f"language {lg}: macro-F1 {s['macro_f1']:.3f} on {s['n']} blocks; F1 "
                     + ", ".join(f"{c} {s['per_class'][c]['f1']:.3f}" for c in LABELS))
    if "listing_sites" in r:
        s = r["listing_sites"]
        iv = s.get("interval95", {}).get("per_class", {}).get("teaser")
        lines.append(f"listing pages: teaser F1 {s['per_class']['teaser']['f1']:.3f}"
                     + (f" (95% interval {_span(iv)})" if iv else "") + f", macro-F1 {s['macro_f1']:.3f}")
    if r.get("by_site"):
        worst = sorted(r["by_site"].items(), key=lambda kv: kv[1])
        lines.append(f"per held-out site macro-F1 ({len(worst)} sites), weakest first:")
        lines += [f"  {v:.3f}  {s}" for s, v in worst]
    for key, name in (("spam_auc_listing_vs_article", "spam AUC, listing vs article pages"),
                      ("spam_auc_low_value", "spam AUC, gold low-value pages")):
        if r.get(key) is not None:
            lines.append(f"{name}: {r[key]:.3f}")
    return "\n".join(lines)


def _span(iv) -> str:
    return f"{iv[0]:.3f}-{iv[1]:.3f}" if iv else "n/a"


def model_card(labels: LabelSet, data: Dataset, cv: dict, n_folds: int, seconds: float) -> dict:
    """What the artifact was trained on and how well it did under cross-validation."""
    counts = {c: int((data.y == i).sum()) for i, c in enumerate(LABELS)}
    return {
        "trained": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "labels_sha256": labels.sha256, "label_counts": counts, "n_pages": len(data.pages),
        "n_sites": len(set(data.sites)), "pages": sorted(i.page for i in data.info),
        "cv": {"scheme": "site-grouped" if n_folds > 0 else "leave-one-site-out",
               "folds": n_folds, **cv}, "train_seconds": round(seconds, 1),
    }


def spam_scores(data: Dataset, proba: np.ndarray, page_model: PageModel) -> np.ndarray:
    """``spam`` of every page from block probabilities and a fitted page model."""
    X, _ = page_table(data, proba)
    return page_model.predict_proba(X)


def cross_val_spam(data: Dataset, proba: np.ndarray, folds: list[list[int]]) -> np.ndarray:
    """Out-of-fold ``spam``: each fold's pages scored by a page model fitted on the others."""
    X, target = page_table(data, proba)
    out = np.zeros(len(data.pages))
    for test in folds:
        train = np.setdiff1d(np.arange(len(data.pages)), test)
        out[test] = PageModel.fit(X[train], target[train]).predict_proba(X[test])
    return out
