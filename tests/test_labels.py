import pytest

from spamfilter import LabelFileError, read_labels


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.txt").write_text("title\n\nbody text。\nfooter\n", encoding="utf-8")
    return tmp_path


def write(tmp_path, text, name="labels.csv", bom=False):
    p = tmp_path / name
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return p


def test_reads_rows_into_per_block_targets(corpus, tmp_path):
    p = write(tmp_path, "page,line,label,confidence\ns/a.txt,1,navigation,0.3\ns/a.txt,3,article,0.9\n")
    ls = read_labels(p, corpus)
    (page,) = ls.pages
    assert [b.line for b in page.blocks] == [1, 3, 4]
    assert page.y == [2, 0, -1]  # navigation, article, unlabelled
    assert ls.n_labels == 2 and len(ls.sha256) == 64


@pytest.mark.parametrize("rows,message", [
    ("s/a.txt,1,spam", "unknown label 'spam'"),
    ("s/missing.txt,1,article", "no such file"),
    ("s/a.txt,9,article", "line 9 out of range"),
    ("s/a.txt,2,article", "blank line"),
    ("s/a.txt,x,article", "not a whole number"),
    ("s/a.txt,1", "expected 3 columns"),
    ("s/a.txt,1,article\ns/a.txt,1,ad", "labeled 'ad' here but 'article' at row 2"),
])
def test_every_problem_is_reported_with_file_and_row(corpus, tmp_path, rows, message):
    p = write(tmp_path, "page,line,label\n" + rows + "\n")
    with pytest.raises(LabelFileError) as e:
        read_labels(p, corpus)
    assert message in str(e.value)
    assert f"{p}:" in str(e.value)


def test_all_problems_are_collected_not_just_the_first(corpus, tmp_path):
    p = write(tmp_path, "page,line,label\ns/a.txt,1,foo\ns/a.txt,1,navigation\ns/a.txt,99,ad\n")
    with pytest.raises(LabelFileError) as e:
        read_labels(p, corpus)
    assert [pr.row for pr in e.value.problems] == [2, 4]


def test_missing_header_and_bom(corpus, tmp_path):
    with pytest.raises(LabelFileError, match="missing header"):
        read_labels(write(tmp_path, "s/a.txt,1,article\n"), corpus)
    with pytest.raises(LabelFileError, match="byte-order mark"):
        read_labels(write(tmp_path, "page,line,label\ns/a.txt,1,article\n", bom=True), corpus)


def test_identical_duplicates_are_fine(corpus, tmp_path):
    ls = read_labels(write(tmp_path, "page,line,label\ns/a.txt,1,ad\ns/a.txt,1,ad\n"), corpus)
    assert ls.pages[0].y[0] == 3


def test_skip_bad_rows_keeps_the_good_ones_and_reports_the_rest(corpus, tmp_path):
    p = write(tmp_path, "page,line,label\ns/a.txt,1,foo\ns/a.txt,3,article\n")
    ls = read_labels(p, corpus, skip_bad_rows=True)
    assert ls.pages[0].y == [-1, 0, -1]
    assert [str(s) for s in ls.skipped] == [f"{p}:2: unknown label 'foo' (expected one of article, teaser, navigation, ad)"]


def test_committed_label_file_is_valid_and_complete(shared_corpus):
    from pathlib import Path

    ls = read_labels(Path(__file__).parents[1] / "data" / "labels.csv", shared_corpus)
    assert len(ls.pages) == 93
    assert all(v >= 0 for p in ls.pages for v in p.y)  # every non-empty line labelled


def test_line_numbers_follow_segmentation_for_cr_line_ends(corpus, tmp_path):
    # lone \r ends a line for segment(), so the label reader must count it too
    (corpus / "s" / "mac.txt").write_bytes("title\r\rbody text。\rfooter\r".encode("utf-8"))
    p = write(tmp_path, "page,line,label\ns/mac.txt,3,article\ns/mac.txt,4,navigation\n")
    (page,) = read_labels(p, corpus).pages
    assert [b.line for b in page.blocks] == [1, 3, 4]
    assert page.y == [-1, 0, 2]
    bad = write(tmp_path, "page,line,label\ns/mac.txt,6,article\n", name="bad.csv")
    with pytest.raises(LabelFileError, match="line 6 out of range: s/mac.txt has 5 lines"):
        read_labels(bad, corpus)
