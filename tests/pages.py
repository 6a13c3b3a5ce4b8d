"""Synthetic pages written for the tests (no corpus text), with their gold labels."""
from __future__ import annotations

import csv
import random
from pathlib import Path

TOPICS_JA = ["機械学習", "自然言語処理", "画像認識", "強化学習", "データ分析", "音声合成", "検索エンジン", "推薦システム"]
TOPICS_EN = ["machine learning", "language models", "image search", "robotics", "data pipelines", "speech tools"]

NAV_JA = ["ホーム", "ニュース", "カテゴリー", "お問い合わせ", "プライバシーポリシー", "利用規約", "サイトマップ"]
NAV_EN = ["Home", "News", "Topics", "About us", "Contact us", "Privacy policy", "Terms of use"]
AD_LINES = [
    "Find the right Cloud Investment for you",
    "Tokens are the future: buy now and save up to 30% this week only.",
    "Advertising with us",
    "広告",
    "今すぐ無料体験に申し込む！期間限定キャンペーン実施中",
]


def _sentence_ja(rng: random.Random, topic: str) -> str:
    a = rng.choice(["研究者たちは", "開発チームは", "新しい手法は", "この論文は", "同社は"])
    b = rng.choice(["精度を大きく改善した", "計算量を半分に減らした", "新しい評価基準を提案した",
                    "大規模なデータで検証した", "実用的な課題を整理した"])
    c = rng.choice(["と報告している", "と説明した", "ことを示した", "という"])
    return f"{a}{topic}の分野で{b}{c}。"


def _sentence_en(rng: random.Random, topic: str) -> str:
    a = rng.choice(["The team", "A new study", "The authors", "Engineers at the lab", "The company"])
    b = rng.choice(["improved accuracy on", "cut the cost of", "proposed a benchmark for", "tested a method for"])
    c = rng.choice(["large public datasets", "everyday tasks", "noisy real-world data", "small devices"])
    return f"{a} {b} {topic} on {c}."


def article_page(rng: random.Random, lang: str = "ja") -> list[tuple[str, str]]:
    """An article page: menu, title, byline, body paragraphs, related links, footer."""
    ja = lang == "ja"
    topic = rng.choice(TOPICS_JA if ja else TOPICS_EN)
    sent = _sentence_ja if ja else _sentence_en
    nav = NAV_JA if ja else NAV_EN
    rows = [(f"- {n}", "navigation") for n in rng.sample(nav, 4)]
    rows.append((f"{topic}の最新動向をまとめて解説" if ja else f"What is new in {topic} this year", "article"))
    rows.append(("2024年3月{}日 記者: 山田".format(rng.randint(1, 28)) if ja else
                 f"By Alex Doe, March {rng.randint(1, 28)}, 2024", "article"))
    for _ in range(rng.randint(4, 7)):
        rows.append(("".join(sent(rng, topic) for _ in range(rng.randint(2, 4))) if ja else
                     " ".join(sent(rng, topic) for _ in range(rng.randint(2, 4))), "article"))
    rows.append(("関連記事" if ja else "Related articles", "navigation"))
    for _ in range(3):
        t = rng.choice(TOPICS_JA if ja else TOPICS_EN)
        rows.append((f"- {t}の入門ガイド" if ja else f"- A guide to {t}", "navigation"))
    if rng.random() < 0.7:
        rows.append((rng.choice(AD_LINES), "ad"))
    rows.append(("Copyright © 2024 Example Media. All rights reserved.", "navigation"))
    return rows


def listing_page(rng: random.Random, lang: str = "ja") -> list[tuple[str, str]]:
    """A search-result page: header, bare link list, title + truncated excerpt pairs, ads."""
    ja = lang == "ja"
    topics = TOPICS_JA if ja else TOPICS_EN
    sent = _sentence_ja if ja else _sentence_en
    rows = [(f"Learn more about Search Results {rng.choice(topics)} - Page {rng.randint(2, 30)}", "navigation"),
            ("- You may be interested", "navigation")]
    for _ in range(rng.randint(3, 6)):
        rows.append((f"- {rng.choice(topics)}の基礎から応用まで..." if ja else f"- Basics of {rng.choice(topics)}...",
                     "navigation"))
    for _ in range(rng.randint(4, 8)):
        t = rng.choice(topics)
        rows.append((f"「{t}の新しい研究が発表されました」" if ja else f"New research in {t} was announced", "teaser"))
        body = "".join(sent(rng, t) for _ in range(3)) if ja else " ".join(sent(rng, t) for _ in range(3))
        rows.append((body[: rng.randint(40, 70)] + "…", "teaser"))
    rows += [(AD_LINES[0], "ad"), (AD_LINES[1], "ad"), ("Advertising with us", "ad")]
    return rows


def write_corpus(root: Path, n_sites: int = 4, pages_per_site: int = 4, seed: int = 0) -> Path:
    """Write pages into ``root/site_k/`` folders and a ``labels.csv``; returns the labels path."""
    rng = random.Random(seed)
    labels = []
    for s in range(n_sites):
        site = root / f"site{s}"
        site.mkdir(parents=True, exist_ok=True)
        for p in range(pages_per_site):
            lang = "ja" if (s + p) % 3 else "en"
            rows = article_page(rng, lang) if p % 2 == 0 else listing_page(rng, lang)
            write_page(site / f"p{p}.txt", rows, blank_between=(p % 3 == 1))
            line = 0
            for text, lab in rows:
                line += 1
                labels.append((f"site{s}/p{p}.txt", line, lab))
                if p % 3 == 1:
                    line += 1
    path = root / "labels.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["page", "line", "label"])
        w.writerows(labels)
    return path


def write_page(path: Path, rows: list[tuple[str, str]], blank_between: bool = False) -> None:
    sep = "\n\n" if blank_between else "\n"
    path.write_text(sep.join(t for t, _ in rows) + "\n", encoding="utf-8")
