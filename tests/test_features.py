import math

import numpy as np

from spamfilter import segment
from spamfilter.features import TOKEN_HEAD, TOKEN_TAIL, BlockFeaturizer, ngrams, token_text


def col(f, name):
    return f.feature_names().index(name)


PAGE = "\n".join([
    "- ホーム",
    "「新しい研究が発表されました」",
    "研究者たちは機械学習の分野で精度を大きく改善したと報告している。大規模なデータで検証した…",
    "「別の研究が発表されました」",
    "開発チームは自然言語処理の分野で計算量を半分に減らしたと説明した。新しい評価基準を…",
    "Advertising with us",
])


def fitted():
    pages = [segment(PAGE)]
    return BlockFeaturizer(min_groups=1).fit(pages, ["site"]), pages


def test_one_row_per_block_and_named_columns():
    f, pages = fitted()
    X = f.transform(pages)
    assert X.shape == (6, len(f.feature_names()))
    assert len(set(f.feature_names())) == X.shape[1]


def test_shape_features():
    f, pages = fitted()
    X = f.transform(pages).toarray()
    assert X[2, col(f, "log length")] == np.float32(math.log1p(len(pages[0][2].text)))
    assert X[2, col(f, "kana share")] > 0.2
    assert X[5, col(f, "latin share")] > 0.7
    assert X[2, col(f, "sentences")] >= 1


def test_marker_features():
    f, pages = fitted()
    X = f.transform(pages).toarray()
    assert X[5, col(f, "marker: ad_label")] == 1
    assert X[2, col(f, "marker: truncation")] == 1
    assert X[0, col(f, "marker: list_marker")] == 1
    assert X[1, col(f, "marker: quoted_title")] == 1
    assert X[1, col(f, "marker: truncation")] == 0


def test_context_features_see_the_title_then_excerpt_rhythm():
    f, pages = fitted()
    X = f.transform(pages).toarray()
    # a title line is followed by a truncated excerpt, and repeats two blocks later
    assert X[1, col(f, "block +1: truncated")] == 1
    assert X[3, col(f, "same shape as 2 back")] == 1
    assert X[1, col(f, "length ratio to next")] < 0
    assert X[0, col(f, "block -1: log length")] == -1  # no neighbour before the first block
    assert X[0, col(f, "position in page")] == 0 and X[5, col(f, "position in page")] == 1


def test_token_ngrams_fitted_by_site_count():
    pages = [segment("続きを読む\n今日の天気"), segment("続きを読む\n明日の予定"), segment("続きを読む")]
    f = BlockFeaturizer(min_groups=2).fit(pages, ["a", "b", "c"])
    assert "続き" in f.vocabulary_ and "続き を" in f.vocabulary_  # uni- and bi-gram, on 3 sites
    assert "天気" not in f.vocabulary_  # seen on one site only
    X = f.transform([segment("続きを読む")]).toarray()
    assert X[0, col(f, "token: 続き")] == 1


def test_ngrams_fold_case_and_digits():
    assert ngrams(["Page", "12"]) == ["page", "0", "page 0"]


def test_tokenized_text_is_bounded():
    block = segment("あ" * 100_000)[0]
    assert len(token_text(block)) <= TOKEN_HEAD + TOKEN_TAIL + 1


def test_transform_is_deterministic():
    f, pages = fitted()
    assert (f.transform(pages) != f.transform(pages)).nnz == 0
