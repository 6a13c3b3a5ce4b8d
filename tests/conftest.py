"""Shared fixtures: a small corpus of pages we wrote, and a model trained on it."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pages import write_corpus  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("corpus")
    return root, write_corpus(root)


@pytest.fixture(scope="session")
def small_model(small_corpus, tmp_path_factory) -> Path:
    """Train (stage 1, stage 2, page model) on the small corpus and save it."""
    from spamfilter import artifact, read_labels
    from spamfilter.model import BlockModel
    from spamfilter.training import Dataset, cross_val_proba, fit_page_model, site_folds

    root, labels = small_corpus
    data = Dataset.from_labels(read_labels(labels, root), root)
    folds = site_folds(data, 4)
    oof = cross_val_proba(data, folds, make_model=lambda: BlockModel(rounds=60, min_groups=2))
    model = BlockModel(rounds=60, min_groups=2).fit(data.pages, data.y, data.sites)
    path = tmp_path_factory.mktemp("model") / "small.joblib"
    artifact.save({"block_model": model, "page_model": fit_page_model(data, oof),
                   "card": {"cv": {"macro_f1": 0.0}}}, path)
    return path


@pytest.fixture(scope="session")
def clf(small_model):
    from spamfilter import Classifier

    return Classifier.load(small_model)


@pytest.fixture
def shared_corpus() -> Path:
    if not (SHARED_CORPUS / "seeds").is_dir():
        pytest.skip("../shared/corpus is not present")
    return SHARED_CORPUS


def first_page_text() -> str:
    from pages import article_page, listing_page
    import random

    rng = random.Random(42)
    rows = listing_page(rng, "ja") + article_page(rng, "en")
    return "\n".join(t for t, _ in rows) + "\n"


