import pytest

from spamfilter.markers import default_lexicon, normalize, read_lexicon


def fired_groups(text):
    lex = default_lexicon()
    return {g for g, f in zip(lex.groups, lex.groups_fired(normalize(text))) if f}


@pytest.mark.parametrize("text,group", [
    ("Advertising with us", "ad_label"),
    ("広告", "ad_label"),
    ("スポンサーリンク", "ad_label"),
    ("Find the right Blockchain Investment for you", "ad_pitch"),
    ("Learn more about Search Results RLHF - Page 11", "search_header"),
    ("- You may be interested", "nav_phrase"),
    ("関連記事", "nav_phrase"),
    ("続きを読む", "read_more"),
    ("次へ", "pagination"),
    ("Copyright © 2024 Example", "copyright"),
    ("論文の概要を紹介します…", "truncation"),
    ("An excerpt that stops here...", "truncation"),
    ("・メニュー項目", "list_marker"),
    ("• item", "list_marker"),
    ("3. third item", "numbered"),
    ("「新しい研究が発表されました」", "quoted_title"),
    ("2023年03月31日", "date"),
    ("5 days ago", "date"),
    ("https://example.com/x", "url"),
])
def test_marker_groups_fire_on_their_phrases(text, group):
    assert group in fired_groups(text)


def test_plain_sentence_fires_no_boilerplate_marker():
    groups = fired_groups("研究者たちは新しい手法で精度を改善したと報告している。")
    assert not groups & {"ad_label", "ad_pitch", "nav_phrase", "nav_exact", "truncation", "search_header"}


def test_fired_names_the_marker_for_explanations():
    names = [(m.group, m.why) for m in default_lexicon().fired("Advertising with us")]
    assert ("ad_label", "ad-slot label") in names


def test_lexicon_is_read_from_a_table_and_bad_rows_are_reported(tmp_path):
    good = tmp_path / "m.tsv"
    good.write_text("group\tmatch\tpattern\twhy\nfoo\tcontains\tzzq\ttest marker\n", encoding="utf-8")
    lex = read_lexicon(good)
    assert lex.groups == ["foo"] and lex.groups_fired("a zzq b") == [True]
    bad = tmp_path / "bad.tsv"
    bad.write_text("group\tmatch\tpattern\twhy\nfoo\tfuzzy\tzzq\tx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad marker row 2"):
        read_lexicon(bad)


def test_group_matchers_agree_with_every_markers_own_regex():
    # features read one combined matcher per group, explanations name single
    # markers: a group must fire exactly when one of its markers does, on each
    # marker's own pattern, with text around it, and on pages we wrote
    import random
    import re

    from pages import article_page, listing_page

    lex = default_lexicon()
    texts = ["", "pr", "広告", "a pr", "pr:x", "advertising with us!", "- page 3", "next page"]
    for m in lex.markers:
        if m.match != "regex":
            texts += [m.pattern, "x " + m.pattern, m.pattern + " x", "x" + m.pattern + "x"]
    rng = random.Random(3)
    for page in (article_page(rng), listing_page(rng), listing_page(rng, "en")):
        texts += [normalize(line) for line, _ in page]
    assert len(texts) > 600
    singles = [(m.group, re.compile(m.regex())) for m in lex.markers]
    for t in texts:
        expect = [any(c.search(t) for g2, c in singles if g2 == g) for g in lex.groups]
        assert lex.groups_fired(t) == expect, t
