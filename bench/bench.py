"""spamfilter benchmark: throughput, cold start, memory, scaling, --jobs speed-up.

Each figure is printed absolute and as a ratio to a reference measured in the
same run on the same pages (fugashi tokenizing every character, jusText if
installed, `import lightgbm`). Run by hand: ``python bench/bench.py``.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def corpus_pages() -> list[str]:
    files = sorted(CORPUS.glob("seeds/*.txt")) + sorted(CORPUS.glob("web/*.txt")) + sorted(CORPUS.glob("wcxb/w*.txt"))
    if files:
        return [f.read_text(encoding="utf-8") for f in files]
    sys.path.insert(0, str(REPO / "tests"))
    from pages import article_page, listing_page

    rng = random.Random(0)
    return ["\n".join(t for t, _ in (listing_page if i % 2 else article_page)(rng, "ja")) for i in range(60)]


def seed_size_pages(pages: list[str], target: int = 38_000) -> list[str]:
    """Pages of about the seed pages' size: corpus pages repeated or cut to ~38 KB."""
    out = []
    for p in pages:
        b = len(p.encode("utf-8"))
        reps = max(1, round(target / max(b, 1)))
        q = "\n".join([p] * reps)
        out.append(q)
    return out


def timed(fn, repeat=3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cmd_seconds(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def peak_rss_mb(code: str) -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent.
    probe = "\nprint([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    out = subprocess.run([sys.executable, "-c", code + probe], check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=120, help="seed-size pages to score")
    ap.add_argument("--train", action="store_true", help="also time a final fit on ~10k labelled blocks")
    args = ap.parse_args()

    import spamfilter

    base = corpus_pages()
    seeds = [f.read_text(encoding="utf-8") for f in sorted(CORPUS.glob("seeds/*.txt"))] or base[:5]
    clf = spamfilter.load()
    list(clf.score_many(base[:4]))  # warm: tokenizer, lexicon
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    # The targets are stated for the seed pages (~38 KB, ~40 blocks of ~1 KB);
    # the corpus mix (pages cut/repeated to ~38 KB, many short lines) is the
    # harder case for per-block costs.
    for name, pages in (("seed pages", (seeds * 40)[: args.pages]),
                        ("corpus mix", (seed_size_pages(base) * 10)[: args.pages])):
        mb = sum(len(p.encode("utf-8")) for p in pages) / 1e6
        blocks = sum(len(spamfilter.segment(p)) for p in pages) / len(pages)
        t_sf = timed(lambda: list(clf.score_many(pages, batch_size=32)), repeat=2)
        print(f"[{name}] {len(pages)} pages, {mb:.1f} MB, {mb * 1e3 / len(pages):.0f} KB and {blocks:.0f} blocks/page")
        print(f"  spamfilter score_many (1 process): {len(pages) / t_sf:8.1f} pages/s  {mb / t_sf:6.2f} MB/s")
        _references(pages, mb, t_sf)
    pages = (seeds * 40)[: args.pages]

    _rest(args, clf, pages, base)


def _references(pages, mb, t_sf) -> None:
    import fugashi

    tagger = fugashi.Tagger("-Owakati")

    def tok_all():
        for p in pages:
            for line in p.splitlines():
                if line.strip():
                    tagger.parse(line)

    t_fu = timed(tok_all, repeat=1)
    print(f"  reference: fugashi, every character: {len(pages) / t_fu:8.1f} pages/s  {mb / t_fu:6.2f} MB/s"
          f"   -> spamfilter is {t_fu / t_sf:.2f}x")
    try:
        import html as _html

        import justext

        stop = justext.get_stoplist("English")
        docs = ["<html><body>" + "".join(f"<p>{_html.escape(ln)}</p>" for ln in p.splitlines() if ln.strip())
                + "</body></html>" for p in pages]
        t_jt = timed(lambda: [justext.justext(d, stop) for d in docs], repeat=1)
        print(f"  reference: jusText on the same pages: {len(pages) / t_jt:8.1f} pages/s  {mb / t_jt:6.2f} MB/s"
              f"   -> spamfilter is {t_jt / t_sf:.2f}x")
    except ImportError:
        print("  reference: jusText not installed (pip install '.[bench]')")


def _rest(args, clf, pages, base) -> None:

    # cold start: one page through the CLI vs importing lightgbm alone
    with tempfile.TemporaryDirectory() as d:
        page = Path(d) / "page.txt"
        page.write_text(pages[0], encoding="utf-8")
        exe = str(Path(sys.executable).with_name("spamfilter"))
        t_cli = cmd_seconds([exe, "score", str(page)])
        t_lgb = cmd_seconds([sys.executable, "-c", "import lightgbm"])
        print(f"cold start: spamfilter score page.txt {t_cli:.2f}s; import lightgbm {t_lgb:.2f}s"
              f"   -> {t_cli / t_lgb:.2f}x")

    rss = peak_rss_mb("import spamfilter,pathlib,sys\nclf=spamfilter.load()\n"
                      f"import glob\nps=[pathlib.Path(f).read_text(encoding='utf-8') for f in sorted(glob.glob({str(CORPUS)!r}+'/*/*.txt'))]*3\n"
                      "for r in clf.score_many(ps): pass")
    rss_ref = peak_rss_mb("import lightgbm")
    print(f"peak RSS while scoring the corpus: {rss:.0f} MB; import lightgbm alone {rss_ref:.0f} MB"
          f"   -> {rss / rss_ref:.2f}x")

    print("scaling (one page repeated):  size      seconds   µs/KB")
    unit = pages[0]
    for k in (1, 10, 100):
        text = "\n".join([unit] * k)
        t = timed(lambda: clf.score(text), repeat=2 if k < 100 else 1)
        kb = len(text.encode("utf-8")) / 1e3
        print(f"  x{k:<4} {kb:10.0f} KB {t:10.3f} {t / kb * 1e6:8.1f}")

    with tempfile.TemporaryDirectory() as d:
        folder = pages * 12  # enough work that worker start-up (import + model load, ~1.6 s) is amortised
        for i, p in enumerate(folder):
            Path(d, f"p{i:04d}.txt").write_text(p, encoding="utf-8")
        exe = str(Path(sys.executable).with_name("spamfilter"))
        t1 = cmd_seconds([exe, "score", d, "--format", "jsonl", "--jobs", "1"], runs=1)
        t2 = cmd_seconds([exe, "score", d, "--format", "jsonl", "--jobs", "2"], runs=1)
        print(f"CLI on a folder of {len(folder)} pages: --jobs 1 {t1:.1f}s, --jobs 2 {t2:.1f}s -> speed-up {t1 / t2:.2f}x")

    if args.train:
        import numpy as np

        from spamfilter.labels import read_labels
        from spamfilter.model import BlockModel
        from spamfilter.training import Dataset

        ls = read_labels(REPO / "data" / "labels.csv", CORPUS)
        data = Dataset.from_labels(ls, CORPUS)
        n, k = 0, 0
        while k < len(data.pages) and n < 10_000:
            n += data.sizes[k]
            k += 1
        t = time.perf_counter()
        BlockModel().fit(data.pages[:k], np.asarray(data.y[:n]), data.sites[:k])
        print(f"training (final fit, both stages) on {n} labelled blocks: {time.perf_counter() - t:.1f}s")
    from spamfilter.classifier import default_model_path

    print(f"model: {default_model_path()}")


if __name__ == "__main__":
    main()
