"""The model artifact on disk: atomic save, checked load.

A model file is a joblib pickle of a dict tagged with a format name and
version and the library versions it was trained with. Pickles run code when
loaded: only load model files from a trusted source.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

FORMAT = "spamfilter-model"
FORMAT_VERSION = 1


class ModelError(Exception):
    """A model file that is missing, foreign, truncated or incompatible."""


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose objects the artifact holds, and of those that made its features."""
    from importlib import metadata

    from . import __version__

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    # fugashi and unidic-lite decide the tokens, scikit-learn fits the page model
    dists = ("lightgbm", "numpy", "scipy", "joblib", "scikit-learn", "fugashi", "unidic-lite")
    return {"spamfilter": __version__, **{d: version(d) for d in dists},
            "python": ".".join(map(str, sys.version_info[:3]))}


def feature_schema(block_model) -> str:
    """A digest of the feature columns the code computes (names, order, vocabulary size).

    Stored at training time and checked at load: a model whose code changed
    its features since would silently misread every column.
    """
    import hashlib

    f = block_model.featurizer
    names = f.dense_names() + [f"tokens:{len(f.vocabulary_)}"] + block_model.feature_names(1)[len(f.feature_names()):]
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:16]


def save(obj: dict[str, Any], path: str | Path) -> None:
    """Write ``obj`` to ``path`` atomically: a temporary file beside it, then rename.

    A crash or Ctrl-C mid-write leaves the previous file untouched.
    """
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = dict(obj, format=FORMAT, format_version=FORMAT_VERSION, versions=library_versions())
    if obj.get("block_model") is not None:
        payload["feature_schema"] = feature_schema(obj["block_model"])
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            joblib.dump(payload, f, compress=3)
            f.flush()
            os.fsync(f.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it private; a model is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path: str | Path) -> dict[str, Any]:
    """Read and check a model file; :class:`ModelError` says what is wrong."""
    import joblib

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        obj = joblib.load(path)
    except Exception as e:  # truncated or corrupt pickles raise a zoo of exception types
        raise ModelError(f"{path}: not a readable spamfilter model (truncated or corrupt?): "
                         f"{type(e).__name__}: {e}") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ModelError(f"{path}: not a spamfilter model file (no '{FORMAT}' tag)")
    fv = obj.get("format_version")
    if fv != FORMAT_VERSION:
        raise ModelError(f"{path}: model format version {fv}, this spamfilter reads version "
                         f"{FORMAT_VERSION}; retrain with 'spamfilter train'")
    trained = obj.get("versions", {}).get("lightgbm", "")
    import lightgbm

    if trained.split(".")[:1] != lightgbm.__version__.split(".")[:1]:
        raise ModelError(f"{path}: trained with lightgbm {trained}, installed is {lightgbm.__version__}; "
                         "install a matching lightgbm or retrain")
    for key in ("block_model", "page_model"):
        if key not in obj:
            raise ModelError(f"{path}: model file lacks '{key}' (incomplete artifact)")
    if obj.get("feature_schema") != feature_schema(obj["block_model"]):
        raise ModelError(f"{path}: trained with other features than this spamfilter {obj['versions'].get('spamfilter')} "
                         "computes; retrain with 'spamfilter train'")
    return obj
