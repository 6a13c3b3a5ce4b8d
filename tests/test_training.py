"""Evaluation figures: the site-bootstrap intervals of the cross-validation report."""
import numpy as np

from spamfilter.model import LABELS
from spamfilter.training import _scores, format_report, site_bootstrap


def sites_with(per_site_errors, n=40, seed=0):
    """Blocks of several sites; site ``s`` gets ``per_site_errors[s]`` of its labels wrong."""
    rng = np.random.default_rng(seed)
    y, pred, sites = [], [], []
    for s, wrong in enumerate(per_site_errors):
        ys = rng.integers(0, len(LABELS), n)
        ps = ys.copy()
        ps[:wrong] = (ps[:wrong] + 1) % len(LABELS)
        y += list(ys)
        pred += list(ps)
        sites += [f"site{s}"] * n
    return np.array(y), np.array(pred), np.array(sites, dtype=object)


def test_identical_sites_give_an_interval_of_one_point():
    y, pred, sites = sites_with([0] * 6)
    iv = site_bootstrap(y, pred, sites)
    assert iv["macro_f1"] == [1.0, 1.0] and iv["sites"] == 6 and iv["resamples"] == 1000


def test_interval_brackets_the_pooled_figure_and_widens_with_uneven_sites():
    y, pred, sites = sites_with([0, 2, 5, 10, 20, 30, 1, 3])
    point = _scores(y, pred)["macro_f1"]
    lo, hi = site_bootstrap(y, pred, sites)["macro_f1"]
    assert lo < point < hi
    y2, pred2, sites2 = sites_with([8, 9, 8, 9, 8, 9, 8, 9])
    lo2, hi2 = site_bootstrap(y2, pred2, sites2)["macro_f1"]
    assert hi2 - lo2 < hi - lo
    assert site_bootstrap(y, pred, sites)["macro_f1"] == [lo, hi]  # seeded: the same on every run


def test_a_class_missing_from_a_site_is_not_scored_zero():
    # one site holds every ad; resamples without it must not count ad F1 as 0
    y = np.array([0, 1, 2] * 10 + [3] * 5)
    sites = np.array(["a"] * 30 + ["b"] * 5, dtype=object)
    iv = site_bootstrap(y, y.copy(), sites)
    assert iv["macro_f1"] == [1.0, 1.0] and iv["per_class"]["ad"] == [1.0, 1.0]


def test_report_text_shows_the_interval():
    y, pred, sites = sites_with([0, 4, 9])
    r = dict(_scores(y, pred), interval95=site_bootstrap(y, pred, sites))
    text = format_report(r)
    assert "95% interval, resampling the 3 sites: macro-F1" in text and "ad " in text
