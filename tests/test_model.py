"""The model: its lexical stage (a linear model of token n-grams feeding stage 1), fitting folds in parallel."""
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from spamfilter.model import LABELS, LexicalModel, lexical_features, lexical_names


def tokens(seed=0, rows=240, cols=40):
    T = sp.random(rows, cols, density=0.15, format="csr", random_state=seed, dtype=np.float32)
    T.data[:] = 1.0
    return T


def test_lexical_model_matches_scikit_learn_with_every_label_in_its_column():
    T = tokens()
    y = np.random.default_rng(1).integers(0, 4, T.shape[0])
    y3 = np.where(y == 3, 1, y)  # no ads in these labels
    for labels in (y, y3, (y > 1) * 2):
        p = LexicalModel().fit(T, labels).predict_proba(T)
        ref = LogisticRegression(C=0.3, solver="newton-cg", class_weight="balanced").fit(normalize(T), labels)
        want = np.zeros_like(p)
        want[:, ref.classes_] = ref.predict_proba(normalize(T))
        assert p.shape == (T.shape[0], len(LABELS))
        np.testing.assert_allclose(p, want, atol=1e-5)
        assert np.all(p[:, np.setdiff1d(range(4), labels)] < 1e-9)  # an unseen label is never predicted


def test_lexical_model_without_tokens_or_with_one_label_predicts_the_label_it_saw():
    empty = sp.csr_matrix((5, 0), dtype=np.float32)
    p = LexicalModel().fit(empty, np.array([2, 2, 0, 2, 0])).predict_proba(empty)
    assert np.allclose(p[:, [0, 2]], 0.5) and np.allclose(p.sum(axis=1), 1)
    p = LexicalModel().fit(tokens(rows=5), np.full(5, 1)).predict_proba(tokens(rows=5))
    assert np.all(p.argmax(axis=1) == 1)


def test_lexical_columns_are_per_page_and_named():
    proba = np.eye(4)[[0, 1, 2, 3, 2]].astype(float)
    cols = lexical_features(proba, [3, 2])
    assert cols.shape == (5, len(lexical_names()))
    names = lexical_names()
    prev = names.index("block -1: tokens P(article)")
    # block 3 starts the second page: it has no previous block, not page one's last
    assert cols[3, prev] == -1.0 and cols[1, prev] == 1.0


def test_scoring_with_the_bundled_model_imports_no_estimator_code(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text("ホーム\nニュース\n研究チームは新しい手法を発表した。\n", encoding="utf-8")
    code = ("import sys; from spamfilter import load; load().score(open(sys.argv[1]).read()); "
            "print(sorted(m for m in sys.modules if m.startswith('sklearn.linear_model')))")
    out = subprocess.run([sys.executable, "-c", code, str(page)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cross_validation_in_worker_processes_equals_one_process(small_corpus):
    # the folds run on one LightGBM thread each in the workers, two threads here:
    # the same probabilities prove the thread count does not change the trees
    from spamfilter import read_labels
    from spamfilter.model import BlockModel
    from spamfilter.training import Dataset, cross_val_proba, site_folds

    root, labels = small_corpus
    data = Dataset.from_labels(read_labels(labels, root), root)
    folds = site_folds(data, 3)

    def make():
        return BlockModel(rounds=15, min_groups=2, augment=6)

    one = cross_val_proba(data, folds, make_model=make)
    two = cross_val_proba(data, folds, make_model=make, n_jobs=2)
    assert one.shape == (len(data.y), 4) and np.allclose(one.sum(axis=1), 1.0)
    assert np.array_equal(one, two)


def test_block_model_set_params_rejects_unknown_names():
    from spamfilter.model import BlockModel

    m = BlockModel().set_params(n_jobs=1, rounds=5)
    assert (m.n_jobs, m.rounds) == (1, 5)
    with pytest.raises(ValueError, match="learning_rate"):
        m.set_params(learning_rate=0.1)
