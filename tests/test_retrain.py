"""The retrain loop: pre-label, correct, append, retrain, compare, replace; refuse bad labels."""
import csv
import hashlib
import json
import random
import shutil

from click.testing import CliRunner

from spamfilter.cli import main
from pages import article_page, listing_page, write_page


def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def shuffled(labels, out, seed):
    """A copy of a label file with its labels shuffled among the rows."""
    lines = labels.read_text(encoding="utf-8").splitlines()
    body = [ln.rsplit(",", 1) for ln in lines[1:]]
    labs = [b[1] for b in body]
    random.Random(seed).shuffle(labs)
    out.write_text("\n".join([lines[0]] + [f"{b[0]},{lab}" for b, lab in zip(body, labs)]) + "\n", encoding="utf-8")
    return out


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def corpus_copy(small_corpus, tmp_path):
    """A writable copy of the small corpus and its label file."""
    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus[0], corpus)
    return corpus, corpus / "labels.csv"


def train(labels, corpus, model, *more):
    return cli("train", "--labels", labels, "--corpus", corpus, "--out", model, *more)


def test_label_correct_retrain_replace_then_refuse_shuffled(small_corpus, tmp_path):
    corpus, labels = corpus_copy(small_corpus, tmp_path)
    model = tmp_path / "models" / "m.joblib"

    first = train(labels, corpus, model, "--folds", 3)
    assert first.exit_code == 0, first.output
    assert model.exists() and model.with_suffix(".card.json").exists()
    card = json.loads(model.with_suffix(".card.json").read_text())
    assert card["labels_sha256"] == sha(labels) and card["n_sites"] == 4
    assert set(card["label_counts"]) == {"article", "teaser", "navigation", "ad"}
    # what made the features and the model, not just what unpickles it
    assert {"lightgbm", "scikit-learn", "fugashi", "unidic-lite"} <= set(card["versions"])
    assert "not installed" not in card["versions"].values()

    # a new page of a new site, pre-labelled by the model
    rows = listing_page(random.Random(7), "ja")
    (corpus / "newsite").mkdir()
    page = corpus / "newsite" / "n.txt"
    write_page(page, rows)
    res = cli("label", page, "--corpus", corpus, "--labels", labels, "--model", model, "-o", tmp_path / "new.csv")
    assert res.exit_code == 0, res.output
    pre = list(csv.DictReader(open(tmp_path / "new.csv", encoding="utf-8")))
    assert [r["page"] for r in pre] == ["newsite/n.txt"] * len(rows)
    assert sorted(int(r["line"]) for r in pre) == list(range(1, len(rows) + 1))
    conf = [float(r["confidence"]) for r in pre]
    assert conf == sorted(conf)  # least confident first
    assert all(r["preview"] for r in pre)

    # rows already in the label file are not emitted again
    again = cli("label", corpus / "site0" / "p0.txt", "--corpus", corpus, "--labels", labels, "--model", model)
    assert again.output.strip().split("\n") == ["page,line,label,confidence,preview"]

    # review: correct every row the model got wrong, append all rows
    gold = {i + 1: lab for i, (_, lab) in enumerate(rows)}
    wrong = [r for r in pre if r["label"] != gold[int(r["line"])]]
    assert len(wrong) < len(pre) / 2  # the pre-labels save most of the work
    with open(labels, "a", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for r in pre:
            w.writerow([r["page"], r["line"], gold[int(r["line"])]])

    before = sha(model)
    second = train(labels, corpus, model, "--folds", 3)
    assert second.exit_code == 0, second.output
    assert "side by side" in second.output and "current" in second.output
    assert sha(model) != before
    backup = model.with_suffix(".prev.joblib")
    assert sha(backup) == before
    card = json.loads(model.with_suffix(".card.json").read_text())
    assert card["comparison"]["decision"] == "write" and card["n_sites"] == 5

    # shuffled labels: refused, artifact untouched (leave-one-site-out this
    # time, so the report also says the card's figure came from 3 folds)
    bad = shuffled(labels, tmp_path / "shuffled.csv", seed=1)
    kept = sha(model)
    third = train(bad, corpus, model)
    assert third.exit_code == 1, third.output
    assert "REFUSED" in third.output and sha(model) == kept
    assert "leave-one-site-out CV (5 folds)" in third.output
    assert "from site-grouped with 3 folds, this run uses 0" in third.output


def test_train_refuses_invalid_labels_before_any_work(small_corpus, tmp_path):
    root, _ = small_corpus
    bad = tmp_path / "bad.csv"
    bad.write_text("page,line,label\nsite0/p0.txt,1,article\nsite0/p0.txt,1,navigation\nnope.txt,1,ad\n", encoding="utf-8")
    out = tmp_path / "m.joblib"
    res = cli("train", "--labels", bad, "--corpus", root, "--out", out)
    assert res.exit_code == 2
    assert f"{bad}:3:" in res.output and f"{bad}:4:" in res.output
    assert not out.exists()


def test_evaluate_lists_disagreements_most_confident_first(small_model, small_corpus):
    root, labels = small_corpus
    res = cli("evaluate", "--labels", labels, "--corpus", root, "--model", small_model, "--format", "json",
              "--disagreements")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert set(d["per_class"]) == {"article", "teaser", "navigation", "ad"}
    conf = [m["confidence"] for m in d["disagreements"]]
    assert conf == sorted(conf, reverse=True)
    for m in d["disagreements"]:
        assert m["gold"] != m["predicted"]
    text = cli("evaluate", "--labels", labels, "--corpus", root, "--model", small_model, "--disagreements")
    assert "macro-F1" in text.output and "disagreement(s)" in text.output


def test_show_renders_html_with_disagreements_marked(small_model, small_corpus, tmp_path):
    root, labels = small_corpus
    page = root / "site1" / "p1.txt"
    # a labels file that contradicts the model on line 1
    bad = tmp_path / "l.csv"
    bad.write_text("page,line,label\nsite1/p1.txt,1,ad\n", encoding="utf-8")
    out = tmp_path / "p.html"
    res = cli("show", page, "--labels", bad, "--corpus", root, "--model", small_model, "-o", out)
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http" not in html.split("<body>")[0]
    n_blocks = sum(1 for ln in page.read_text(encoding="utf-8").splitlines() if ln.strip())
    assert html.count('<div class="b ') == n_blocks
    assert html.count(' disagree"') == 1 and "1 disagreement(s) with gold" in html
    assert "gold: ad" in html


def test_an_unreadable_current_model_still_sets_the_bar_from_its_card(small_corpus, tmp_path):
    corpus, labels = corpus_copy(small_corpus, tmp_path)
    model = tmp_path / "m.joblib"
    assert train(labels, corpus, model, "--folds", 3).exit_code == 0
    model.write_bytes(model.read_bytes()[:1000])  # truncated: cannot be loaded any more
    bad = shuffled(labels, tmp_path / "shuffled.csv", seed=2)
    kept = sha(model)
    res = train(bad, corpus, model, "--folds", 3)
    assert res.exit_code == 1 and "REFUSED" in res.output and "current model unusable" in res.output
    assert sha(model) == kept


def test_the_gate_tolerates_seed_noise_but_not_a_real_drop(small_corpus, tmp_path):
    from spamfilter.cli import GATE_TOLERANCE

    corpus, labels = corpus_copy(small_corpus, tmp_path)
    model = tmp_path / "m.joblib"
    card_path = model.with_suffix(".card.json")
    assert train(labels, corpus, model, "--folds", 3).exit_code == 0
    figure = json.loads(card_path.read_text())["cv"]["macro_f1"]

    def retrain_against(recorded):
        # training is deterministic, so the retrain reproduces `figure`; an
        # unreadable model makes the gate read the bar from the card
        card = json.loads(card_path.read_text())
        card["cv"]["macro_f1"] = recorded
        card_path.write_text(json.dumps(card))
        model.write_bytes(b"not a model")
        return train(labels, corpus, model, "--folds", 3)

    within = retrain_against(figure + GATE_TOLERANCE / 2)
    assert within.exit_code == 0, within.output
    assert "below current" in within.output and "replacing" in within.output
    beyond = retrain_against(figure + GATE_TOLERANCE * 2)
    assert beyond.exit_code == 1 and "REFUSED" in beyond.output
    assert model.read_bytes() == b"not a model"


def test_a_refusal_under_another_fold_scheme_says_how_to_compare_like_with_like(small_corpus, tmp_path):
    corpus, labels = corpus_copy(small_corpus, tmp_path)
    model = tmp_path / "m.joblib"
    assert train(labels, corpus, model, "--folds", 3).exit_code == 0
    kept = sha(model)
    res = train(shuffled(labels, tmp_path / "shuffled.csv", seed=5), corpus, model, "--folds", 2)
    assert res.exit_code == 1 and "REFUSED" in res.output
    assert "compare like with like with --folds 3" in res.output
    assert sha(model) == kept
