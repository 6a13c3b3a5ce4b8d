"""Any input, no crash, nothing lost."""
import json
import re
import threading

import joblib
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spamfilter
from spamfilter import artifact
from spamfilter.cli import main

JA_PAGE = "ホーム\n「新しい研究が発表されました」\n研究者たちは精度を改善したと報告している。\n広告\n"


def run(model, *args, input=None):
    return CliRunner().invoke(main, ["score", "--model", str(model), "--format", "json", *args], input=input)


def scored(res):
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.strip().split("\n") if x]


@pytest.mark.parametrize("data", [b"", b"   \n\t\n  \n"])
def test_empty_pages_are_scored_as_empty(small_model, tmp_path, data):
    p = tmp_path / "e.txt"
    p.write_bytes(data)
    (d,) = scored(run(small_model, str(p)))
    assert d["blocks"] == [] and d["verdict"] == "empty" and d["quality"] == 0


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp932", "euc_jp"])
def test_encodings_decode_to_the_same_result(small_model, tmp_path, encoding):
    ref = tmp_path / "ref.txt"
    ref.write_bytes((JA_PAGE * 5).encode("utf-8"))
    other = tmp_path / f"{encoding}.txt"
    other.write_bytes((JA_PAGE * 5).encode(encoding))
    a, b = scored(run(small_model, str(ref), str(other)))
    assert a["blocks"] == b["blocks"] and len(a["blocks"]) == 20


@pytest.mark.parametrize("data,reason", [
    (bytes(range(256)) * 40, "binary"),
    ("研究".encode("utf-8") * 50 + b"\xe3\x81" + "です。".encode("utf-8") * 50, "not valid UTF-8"),
    (b"\x00" * 5000, "binary"),
])
def test_undecodable_pages_are_rejected_with_one_line_and_exit_2(small_model, tmp_path, data, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    res = run(small_model, str(p))
    assert res.exit_code == 2
    err = res.stderr.strip().split("\n")
    assert len(err) == 1 and str(p) in err[0] and reason in err[0]
    assert res.stdout == ""


def test_a_few_nul_bytes_in_text_still_score(small_model, tmp_path):
    p = tmp_path / "nul.txt"
    p.write_bytes((JA_PAGE * 10).encode("utf-8").replace("広告".encode(), "広\x00告".encode(), 1))
    (d,) = scored(run(small_model, str(p)))
    assert len(d["blocks"]) == 40


def test_missing_file_and_directory_errors(small_model, tmp_path):
    res = run(small_model, str(tmp_path / "nope.txt"))
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_a_folder_with_nothing_to_score_is_an_error(small_model, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    page = tmp_path / "p.txt"
    page.write_text(JA_PAGE, encoding="utf-8")
    alone = run(small_model, str(empty))
    assert alone.exit_code == 2 and "no files matching '*.txt'" in alone.stderr
    mixed = run(small_model, str(empty), str(page))  # the page is still scored
    assert mixed.exit_code == 1
    assert [json.loads(x)["path"] for x in mixed.stdout.strip().split("\n")] == [str(page)]


def test_one_50mb_line_is_scored(small_model, tmp_path):
    p = tmp_path / "huge.txt"
    p.write_bytes(b"word " * (10 * 1024 * 1024))
    (d,) = scored(run(small_model, str(p)))
    assert [b["line"] for b in d["blocks"]] == [1]


def test_a_million_short_lines_is_refused(small_model, tmp_path):
    p = tmp_path / "lines.txt"
    p.write_bytes(b"x\n" * 1_000_000)
    res = run(small_model, str(p))
    assert res.exit_code == 2 and "lines" in res.stderr and str(p) in res.stderr


def test_library_pages_larger_than_a_window_are_scored_whole(clf, monkeypatch):
    from spamfilter import classifier

    monkeypatch.setattr(classifier, "WINDOW_BLOCKS", 7)
    r = clf.score(JA_PAGE * 6)
    assert [b.line for b in r.blocks] == list(range(1, 25))


def _non_empty_lines(text):
    return [i + 1 for i, ln in enumerate(re.split(r"\r\n|\r|\n", text)) if ln.strip()]


def test_surrogates_and_control_characters(clf):
    text = "ok line\n\ud800 lone surrogate\n\x07\x1b[31m control\n\u200b\n" + "\udfff" * 3
    r = clf.score(text)
    assert [b.line for b in r.blocks] == _non_empty_lines(text)


LINE = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
PAGE = st.lists(st.one_of(LINE, st.sampled_from(["", " ", "Advertising with us", "「題名」", "続きを読む…"])),
                max_size=25).flatmap(
    lambda lines: st.sampled_from(["\n", "\r\n", "\r", "\n\n"]).map(lambda sep: sep.join(lines)))


# 1,000 examples of 10 pages each: 10,000 generated pages, scored a batch per model call.
@settings(max_examples=1_000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.lists(PAGE, min_size=10, max_size=10))
def test_any_str_gets_a_label_for_every_non_empty_line(clf, texts):
    for text, r in zip(texts, clf.score_many(texts, batch_size=10), strict=True):
        assert [b.line for b in r.blocks] == _non_empty_lines(text)
        assert all(b.label in spamfilter.LABELS for b in r.blocks)
        assert 0 <= r.quality <= 1 and 0 <= r.spam <= 1


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(PAGE)
def test_any_str_scores_alone_too(clf, text):
    assert [b.line for b in clf.score(text).blocks] == _non_empty_lines(text)


def test_non_str_is_a_documented_type_error(clf):
    for bad in (None, 3, b"bytes", ["a list"]):
        with pytest.raises(TypeError, match="must be str"):
            clf.score(bad)


# -- the model file -------------------------------------------------------

def test_interrupted_save_leaves_the_previous_model_intact(small_model, tmp_path, monkeypatch):
    target = tmp_path / "m.joblib"
    target.write_bytes(small_model.read_bytes())
    before = target.read_bytes()

    def boom(obj, f, **kw):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(joblib, "dump", boom)
    with pytest.raises(KeyboardInterrupt):
        artifact.save({"block_model": None, "page_model": None}, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.joblib"]
    spamfilter.Classifier.load(target)


@pytest.mark.parametrize("make,message", [
    (lambda p, good: p.write_bytes(b"not a pickle at all"), "truncated or corrupt"),
    (lambda p, good: p.write_bytes(good[: len(good) // 2]), "truncated or corrupt"),
    (lambda p, good: joblib.dump(["a", "list"], p), "not a spamfilter model"),
    (lambda p, good: joblib.dump({**joblib.load(_src(good)), "format_version": 99}, p), "format version 99"),
    (lambda p, good: joblib.dump({**joblib.load(_src(good)), "versions": {"lightgbm": "1.0"}}, p), "lightgbm 1.0"),
    (lambda p, good: joblib.dump({**joblib.load(_src(good)), "feature_schema": "0" * 16}, p), "other features"),
])
def test_bad_model_files_are_explained(small_model, tmp_path, make, message):
    p = tmp_path / "bad.joblib"
    make(p, small_model.read_bytes())
    with pytest.raises(spamfilter.ModelError, match=message):
        spamfilter.Classifier.load(p)
    res = CliRunner().invoke(main, ["score", "--model", str(p), "-"], input="x\n")
    assert res.exit_code == 2 and message in res.stderr


def _src(data):
    import io

    return io.BytesIO(data)


# -- concurrency ----------------------------------------------------------

def test_threads_and_jobs_give_byte_identical_json(small_model, clf, tmp_path):
    from pages import article_page, listing_page
    import random

    rng = random.Random(3)
    paths = []
    for i in range(10):
        rows = (listing_page if i % 2 else article_page)(rng, "ja" if i % 3 else "en")
        p = tmp_path / f"p{i:02d}.txt"
        p.write_text("\n".join(t for t, _ in rows), encoding="utf-8")
        paths.append(p)
    single = run(small_model, *map(str, paths)).stdout
    jobs = run(small_model, "--jobs", "2", *map(str, paths)).stdout
    assert jobs == single
    want = [json.dumps(clf.score(p.read_text(encoding="utf-8"), path=str(p)).to_dict(), ensure_ascii=False)
            for p in paths]
    assert "\n".join(want) + "\n" == single
    got = [None] * 8

    def work(k):
        got[k] = [json.dumps(clf.score(p.read_text(encoding="utf-8"), path=str(p)).to_dict(), ensure_ascii=False)
                  for p in paths]

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert all(g == want for g in got)
