"""Train -> save -> load -> score on pages we wrote; the JSON contract; the library API."""
import json
import random
import threading

import numpy as np
import pytest
from click.testing import CliRunner

import spamfilter
from spamfilter.cli import main
from pages import article_page, listing_page


def unseen_pages(n=6, seed=99):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        rows = (listing_page if i % 2 else article_page)(rng, "ja" if i % 3 else "en")
        out.append(("\n".join(t for t, _ in rows) + "\n", [lab for _, lab in rows]))
    return out


def test_round_trip_model_labels_unseen_pages_well(clf):
    gold, pred = [], []
    for text, labels in unseen_pages():
        r = clf.score(text)
        assert len(r.blocks) == len(labels)
        gold += labels
        pred += [b.label for b in r.blocks]
    acc = np.mean([g == p for g, p in zip(gold, pred)])
    assert acc >= 0.85, acc
    assert {"article", "teaser", "navigation", "ad"} <= set(pred)


def test_page_scores_separate_articles_from_listings(clf):
    art, lst = [], []
    for i, (text, _) in enumerate(unseen_pages(8)):
        r = clf.score(text)
        (lst if i % 2 else art).append(r)
    assert min(r.quality for r in art) > max(r.quality for r in lst)
    assert max(r.spam for r in art) < min(r.spam for r in lst)
    assert {r.verdict for r in art} == {"article"}
    assert {r.verdict for r in lst} == {"aggregator"}


def test_scores_are_probabilities_and_label_is_the_argmax(clf):
    r = clf.score(unseen_pages(1)[0][0])
    for b in r.blocks:
        assert set(b.scores) == set(spamfilter.LABELS)
        assert abs(sum(b.scores.values()) - 1) < 1e-3
        assert b.label == max(b.scores, key=b.scores.get)
    assert 0 <= r.quality <= 1 and 0 <= r.spam <= 1


def test_cli_json_contract(small_model, tmp_path):
    page = tmp_path / "p.txt"
    text, labels = unseen_pages(2)[1]
    page.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["score", "--model", str(small_model), "--format", "json", str(page)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().split("\n")
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert d["path"] == str(page)
    assert [b["line"] for b in d["blocks"]] == list(range(1, len(labels) + 1))
    for b in d["blocks"]:
        assert set(b) == {"line", "label", "scores"}
        assert set(b["scores"]) == {"article", "teaser", "navigation", "ad"}
    assert 0 <= d["quality"] <= 1 and 0 <= d["spam"] <= 1
    assert d == json.loads(json.dumps(spamfilter.Classifier.load(small_model).score(text, path=str(page)).to_dict()))


def test_cli_text_tsv_and_stdin(small_model):
    text = unseen_pages(1)[0][0]
    r = CliRunner().invoke(main, ["score", "--model", str(small_model), "-"], input=text)
    assert r.exit_code == 0 and "verdict=" in r.output
    n_blocks = len(spamfilter.segment(text))
    r = CliRunner().invoke(main, ["score", "--model", str(small_model), "--format", "tsv", "-"], input=text)
    rows = [ln.split("\t") for ln in r.output.strip().split("\n")]
    assert len(rows) == n_blocks and all(len(x) == 7 for x in rows)


def test_score_and_score_many_agree_and_keep_order(clf):
    texts = [t for t, _ in unseen_pages(7)]
    one = [clf.score(t).to_dict() for t in texts]
    assert [r.to_dict() for r in clf.score_many(texts, batch_size=3)] == one
    assert [r.to_dict() for r in clf.score_many(texts, n_jobs=2, batch_size=2)] == one


def test_one_classifier_shared_by_threads(clf):
    texts = [t for t, _ in unseen_pages(8)]
    want = [json.dumps(clf.score(t).to_dict()) for t in texts]
    got = {}

    def work(k):
        got[k] = [json.dumps(clf.score(t).to_dict()) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(got[k] == want for k in range(4))


def test_explain_names_the_marker_on_an_ad_line(clf):
    text = "Home\nNews\nAdvertising with us\nFind the right Cloud Investment for you\n"
    r = clf.score(text)
    ex = r.explain()
    assert len(ex) == 4
    assert any("ad_label" in m and "Advertising with us".lower() in m.lower() for m in ex[2]["markers"])
    assert ex[2]["reasons"] and all("toward" in s for s in ex[2]["reasons"])
    out = CliRunner().invoke(main, ["score", "--model", clf.path, "--explain", "-"], input=text).output
    assert "marker  ad_label: ad-slot label" in out


def test_extract_prints_only_article_blocks(small_model, tmp_path):
    text, labels = unseen_pages(1, seed=5)[0]
    p = tmp_path / "a.txt"
    p.write_text(text, encoding="utf-8")
    out = CliRunner().invoke(main, ["extract", "--model", str(small_model), str(p)]).output
    lines = text.split("\n")
    for line, lab in zip(lines, labels):
        if lab == "navigation" and len(line) > 8:
            assert line not in out
    body = [ln for ln, lab in zip(lines, labels) if lab == "article"]
    assert sum(b in out for b in body) >= len(body) - 1


def test_batch_cli_continues_past_a_bad_file(small_model, tmp_path):
    d = tmp_path / "pages"
    d.mkdir()
    for i, (t, _) in enumerate(unseen_pages(3)):
        (d / f"p{i}.txt").write_text(t, encoding="utf-8")
    (d / "p1.txt").write_bytes(b"\x00\x01\x02\xff\xfe\x00" * 200)  # binary garbage between good pages
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(main, ["score", "--model", str(small_model), str(d), "--jobs", "2",
                                    "--format", "jsonl", "-o", str(out)])
    assert res.exit_code == 1
    assert "p1.txt" in res.output and "binary" in res.output
    got = [json.loads(x)["path"] for x in out.read_text().splitlines()]
    assert got == [str(d / "p0.txt"), str(d / "p2.txt")]


def test_library_rejects_non_str(clf):
    with pytest.raises(TypeError):
        clf.score(b"bytes")
    with pytest.raises(TypeError):
        list(clf.score_many(["ok", None]))


def test_bundled_model_labels_every_line_of_a_seed_page(shared_corpus):
    page = shared_corpus / "seeds" / "001_21751169e51bdde9.txt"
    res = CliRunner().invoke(main, ["score", "--format", "json", str(page)])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    lines = page.read_text(encoding="utf-8").splitlines()
    assert [b["line"] for b in d["blocks"]] == [i + 1 for i, ln in enumerate(lines) if ln.strip()]
    assert d["verdict"] == "aggregator"  # a search-result page


def test_bundled_model_loads_and_scores_without_the_corpus():
    r = spamfilter.load().score("ホーム\n「新しい研究が発表されました」\nAdvertising with us\n")
    assert [b.line for b in r.blocks] == [1, 2, 3]
    assert r.blocks[2].label == "ad"


def test_partly_labelled_pages_train_on_their_labelled_rows(small_corpus):
    from spamfilter.model import BlockModel
    from spamfilter.training import Dataset

    root, labels = small_corpus
    data = Dataset.from_labels(spamfilter.read_labels(labels, root), root)
    y = data.y.copy()
    y[: data.sizes[0] // 2] = -1  # half of the first page unlabelled
    model = BlockModel(rounds=20, min_groups=2, augment=0).fit(data.pages, y, data.sites)
    proba = model.predict_proba(data.pages[:1])
    assert proba.shape == (data.sizes[0], 4) and np.allclose(proba.sum(axis=1), 1)
