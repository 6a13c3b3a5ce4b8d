"""The review view: a page rendered as self-contained HTML, blocks coloured by label."""
from __future__ import annotations

import html

from .classifier import PageResult
from .model import LABELS

COLORS = {"article": "#d9f2d9", "teaser": "#d9e8fb", "navigation": "#eeeeee", "ad": "#fbd9d9"}


def render_html(result: PageResult, title: str, gold: dict[int, str] | None = None) -> str:
    """HTML for one scored page; with ``gold`` (line -> label) disagreements are marked."""
    gold = gold or {}
    rows = []
    n_miss = 0
    for b in result.blocks:
        g = gold.get(b.line)
        miss = g is not None and g != b.label
        n_miss += miss
        tip = " ".join(f"{c}={b.scores[c]:.2f}" for c in LABELS) + (f" | gold={g}" if g else "")
        badge = f'<span class="miss">gold: {html.escape(g)}</span>' if miss else ""
        rows.append(
            f'<div class="b {b.label}{" disagree" if miss else ""}" title="{html.escape(tip)}">'
            f'<span class="ln">{b.line}</span><span class="lab">{b.label}</span>{badge}'
            f'<span class="t">{html.escape(b.text.strip())}</span></div>')
    legend = "".join(f'<span class="b {c} key">{c}</span>' for c in LABELS)
    css = "".join(f".{c}{{background:{col}}}" for c, col in COLORS.items())
    summary = (f"quality {result.quality:.2f} · spam {result.spam:.2f} · verdict {result.verdict} · "
               f"{len(result.blocks)} blocks" + (f" · {n_miss} disagreement(s) with gold" if gold else ""))
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}}
h1{{font-size:1.1em;margin:0 0 .3em}} .sum{{color:#555;margin-bottom:.8em}}
.b{{display:flex;gap:.6em;padding:.15em .4em;margin:1px 0;border-radius:3px;align-items:baseline}}
.key{{display:inline-block;margin-right:.5em;padding:.1em .6em}}
.ln{{color:#888;min-width:3em;text-align:right;font-variant-numeric:tabular-nums}}
.lab{{min-width:6.5em;font-weight:600;font-size:.85em;color:#444}}
.t{{flex:1;overflow-wrap:anywhere}}
.disagree{{outline:2px solid #d33;}} .miss{{color:#fff;background:#d33;font-size:.8em;padding:0 .4em;border-radius:3px}}
{css}
</style></head><body>
<h1>{html.escape(title)}</h1><div class="sum">{html.escape(summary)}</div><div>{legend}</div><hr>
{"".join(rows)}
</body></html>
"""
