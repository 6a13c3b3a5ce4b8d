import pytest

from spamfilter import segment


def test_every_non_empty_line_is_a_block_with_its_line_number_and_span():
    text = "first line\n\n  \nsecond\tline\n\nthird"
    blocks = segment(text)
    assert [b.line for b in blocks] == [1, 4, 6]
    assert [b.text for b in blocks] == ["first line", "second\tline", "third"]
    for b in blocks:
        assert text[b.start:b.end] == b.text


def test_crlf_and_cr_line_ends_count_like_an_editor():
    blocks = segment("a\r\nb\rc\n\r\nd")
    assert [(b.line, b.text) for b in blocks] == [(1, "a"), (2, "b"), (3, "c"), (5, "d")]


def test_empty_and_whitespace_pages_have_no_blocks():
    assert segment("") == []
    assert segment(" \n\t\n\u3000\n") == []


def test_sample_is_bounded_for_huge_blocks():
    block = segment("x" * 1_000_000)[0]
    assert block.end - block.start == 1_000_000
    assert len(block.sample) < 300
    assert block.sample.startswith("xxx") and block.sample.endswith("xxx")


def test_non_str_is_a_type_error():
    with pytest.raises(TypeError):
        segment(b"bytes are not text")
