import numpy as np

from spamfilter import segment
from spamfilter.augment import synthetic_pages
from pages import write_corpus


def corpus_pages(tmp_path):
    from spamfilter import read_labels

    root = tmp_path / "c"
    ls = read_labels(write_corpus(root, n_sites=3, pages_per_site=4), root)
    return [p.blocks for p in ls.pages], [np.array(p.y) for p in ls.pages]


def test_generated_listings_are_deterministic_and_labelled_line_by_line(tmp_path):
    pages, ys = corpus_pages(tmp_path)
    a, ya = synthetic_pages(pages, ys, 6)
    b, yb = synthetic_pages(pages, ys, 6)
    assert len(a) == 6
    assert [[x.text for x in p] for p in a] == [[x.text for x in p] for p in b]
    for p, y in zip(a, ya):
        assert len(p) == len(y) == len(segment("\n".join(x.text for x in p)))
        assert set(y.tolist()) <= {1, 2, 3}  # teaser, navigation, ad: generated pages are listings
        assert (y == 1).sum() >= 8  # at least four cards of title + excerpt


def test_generated_text_comes_from_the_given_pages_only(tmp_path):
    pages, ys = corpus_pages(tmp_path)
    source = "\n".join(b.text for p in pages for b in p)
    gen, y = synthetic_pages(pages, ys, 4)
    teasers = [b.text for p, yy in zip(gen, y) for b, lab in zip(p, yy) if lab == 1]
    # titles and field labels are pooled lines (maybe quoted), excerpts cut
    # pooled paragraphs; only dates and field values are made up, of digits
    made_up = [t for t in teasers if t.strip("「」")[:12] not in source]
    assert all(any(c.isdigit() for c in t) and len(t) <= 20 for t in made_up), made_up[:3]
    assert len(made_up) < len(teasers) / 2


def test_generated_listings_include_catalogue_cards_in_both_languages(tmp_path):
    pages, ys = corpus_pages(tmp_path)
    gen, y = synthetic_pages(pages, ys, 12)
    from spamfilter.features import japanese_chars

    langs = {japanese_chars("".join(b.text for b in p)) > 0 for p in gen}
    assert langs == {True, False}
    fixed_fields = 0
    for p, yy in zip(gen, y):
        teasers = [b.text for b, lab in zip(p, yy) if lab == 1]
        # a fixed field label recurs once per card, labelled teaser like its card
        fixed_fields += any(teasers.count(t) >= 4 and not any(c.isdigit() for c in t) for t in teasers)
    assert fixed_fields >= 2
