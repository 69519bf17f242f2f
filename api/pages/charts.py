"""Charts drawn on the server with matplotlib (Agg) as SVG; Chinese labels when a CJK font is installed."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from api.pages.catalog import label

# pyplot keeps global state; one drawing at a time (charts are small and quick).
_lock = threading.Lock()
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Source Han Sans SC", "Droid Sans Fallback", "AR PL UMing CN")


@cache
def cjk_font() -> str | None:
    """The first CJK-capable font matplotlib can find, or None (then charts are labelled in English)."""
    from matplotlib import font_manager

    names = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def chart_language(wanted: str) -> str:
    return wanted if wanted != "zh" or cjk_font() else "en"


def _svg(draw: Callable[[Any, Any, str], None], lang: str, width: float = 8.0, height: float = 4.2) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    lang = chart_language(lang)
    with _lock:
        params: dict[str, Any] = {"svg.fonttype": "path", "svg.hashsalt": "timebank", "font.family": "sans-serif",
                  "font.sans-serif": [*([cjk_font()] if cjk_font() else []), "DejaVu Sans"], "axes.unicode_minus": False}
        with matplotlib.rc_context(params):  # type: ignore[arg-type]
            figure = Figure(figsize=(width, height), dpi=100)
            axes = figure.subplots()
            draw(figure, axes, lang)
            figure.tight_layout()
            out = io.BytesIO()
            figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _empty(axes: Any, lang: str) -> None:
    axes.text(0.5, 0.5, label("nothing", lang), ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()


def hours_chart(rows: list[dict[str, Any]], lang: str) -> bytes:
    """Stacked bars: months along, one colour per district, confirmed hours up."""

    def draw(figure: Any, axes: Any, lang: str) -> None:
        if not rows:
            return _empty(axes, lang)
        months = sorted({r["month"] for r in rows})
        districts = sorted({r["district"] for r in rows})
        bottom = [0.0] * len(months)
        from matplotlib import colormaps

        palette = colormaps["tab20"]  # 17 districts: ten colours would repeat
        for i, district in enumerate(districts):
            values = [sum(r["minutes"] for r in rows if r["month"] == m and r["district"] == district) / 60 for m in months]
            name = district if lang == "zh" else _romanized(district)
            axes.bar(months, values, bottom=bottom, label=name, color=palette(i % palette.N))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_title(label("chart.hours", lang))
        axes.set_ylabel(label("hours", lang))
        axes.legend(fontsize="small", ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))

    return _svg(draw, lang, width=9.0)


def stars_chart(rows: list[dict[str, Any]], lang: str) -> bytes:
    def draw(figure: Any, axes: Any, lang: str) -> None:
        names = [("☆" if r["level"] == 0 else "★" * r["level"]) if lang == "zh" else str(r["level"]) for r in rows]
        bars = axes.bar(names, [r["volunteers"] for r in rows], color="#c0392b")
        axes.bar_label(bars)
        axes.set_title(label("chart.stars", lang))
        axes.set_xlabel(label("level", lang))
        axes.set_ylabel(label("volunteers", lang))

    return _svg(draw, lang, width=7.0)


def flows_chart(rows: list[dict[str, Any]], flows: list[str], lang: str) -> bytes:
    """Grouped bars: months along, one bar per flow, hours up."""

    def draw(figure: Any, axes: Any, lang: str) -> None:
        if not rows:
            return _empty(axes, lang)
        months = sorted({r["month"] for r in rows})
        width = 0.8 / len(flows)
        for i, flow in enumerate(flows):
            values = [sum(r["minutes"] for r in rows if r["month"] == m and r["flow"] == flow) / 60 for m in months]
            axes.bar([x + i * width for x in range(len(months))], values, width=width, label=label(f"flow.{flow}", lang))
        axes.set_xticks([x + width * (len(flows) - 1) / 2 for x in range(len(months))], months)
        axes.set_yscale("symlog")
        axes.set_title(label("chart.flows", lang))
        axes.set_ylabel(label("hours", lang))
        axes.legend(fontsize="small")

    return _svg(draw, lang, width=9.0)


# District names in English charts when no CJK font is installed (and for English readers).
_DISTRICTS = {
    "东城区": "Dongcheng", "西城区": "Xicheng", "朝阳区": "Chaoyang", "丰台区": "Fengtai", "石景山区": "Shijingshan",
    "海淀区": "Haidian", "门头沟区": "Mentougou", "房山区": "Fangshan", "通州区": "Tongzhou", "顺义区": "Shunyi",
    "昌平区": "Changping", "大兴区": "Daxing", "怀柔区": "Huairou", "平谷区": "Pinggu", "密云区": "Miyun", "延庆区": "Yanqing",
    "北京经济技术开发区": "Beijing E-Town",
}


def _romanized(district: str) -> str:
    return _DISTRICTS.get(district, district if district.isascii() else "?")
