"""Display width: Chinese characters take two columns; padding, centring and wrapping count them."""

from __future__ import annotations

import textwrap

import pytest

from tcptutor.render.width import GLUE, center, display_width, ljust, rjust, truncate, wrap


@pytest.mark.parametrize("text, width", [
    ("", 0), ("SYN-SENT", 8), ("同步已发送", 10), ("同步已发送 SYN-SENT", 19), ("１００１", 8),
    ("：，。", 6), ("│─►✕⋮", 5), ("e\u0301", 1),  # box drawing is narrow; a combining accent takes none
])
def test_display_width(text, width):
    assert display_width(text) == width


def test_padding_and_centring_count_columns():
    assert ljust("关闭", 6) == "关闭  " and rjust("关闭", 6) == "  关闭"
    for text in ("ab", "abc", "关闭", "关闭x"):
        for width in (7, 8, 9):
            assert display_width(center(text, width, "─")) == width
            if text.isascii():
                assert center(text, width, "─") == text.center(width, "─")  # English output unchanged
    assert ljust("同步已发送", 4) == "同步已发送"  # never cut by padding


def test_truncate_never_splits_a_wide_character():
    assert truncate("同步已发送", 5) == "同步"
    assert truncate("ab同步", 3) == "ab"
    assert truncate("abc", 2) == "ab"


def test_width_and_truncate_agree_with_the_per_character_definition():
    """display_width and truncate look each character's width up once (a cache) and take a
    fast path when the text fits: the same answers as summing char_width character by character."""
    from tcptutor.render.width import char_width

    for text in ("│ #3 SYN seq=1 ──►│", "同步已发送 SYN-SENT", "e\u0301e\u0301关", "ａ│b关\u0301", "⋮ 2 s later ⋮"):
        assert display_width(text) == sum(char_width(ch) for ch in text)
        for width in range(0, display_width(text) + 2):
            used, expected = 0, text
            for i, ch in enumerate(text):
                used += char_width(ch)
                if used > width:
                    expected = text[:i]
                    break
            assert truncate(text, width) == expected


def test_ascii_wraps_as_textwrap_does():
    text = "SYN-RECEIVED → ESTABLISHED after the final ACK of the three-way handshake arrives"
    assert wrap(text, 20) == textwrap.wrap(text, 20, break_on_hyphens=False)


def test_chinese_wraps_by_columns_and_keeps_glued_names_whole():
    prose = "时间以秒计：左栏是客户端上的时刻，右栏是服务器上的时刻；箭头在发送方的时刻发出。"
    lines = wrap(prose, 20)
    assert "".join(lines) == prose
    assert all(display_width(line) <= 20 for line in lines)
    assert all(display_width(line) >= 19 for line in lines[:-1])  # prose fills its lines
    pair = f"关闭{GLUE}CLOSED → 同步已发送{GLUE}SYN-SENT"
    assert wrap(pair, 22) == ["关闭 CLOSED →", "同步已发送 SYN-SENT"]
    assert wrap(f"  {pair}", 40, subsequent_indent="  ") == ["关闭 CLOSED → 同步已发送 SYN-SENT"]
    assert all(display_width(w) <= 6 for w in wrap("同步已发送", 6))


def test_svg_text_width_is_two_columns_a_wide_character():
    """svg.text_width takes len() of ASCII and looks each other character up once: the same
    figures as measuring every character."""
    import unicodedata

    from tcptutor.render.svg import text_width

    for text in ("", "#3 SYN seq=1", "同步已发送 SYN-SENT", "│─►✕⋮", "ａｂ关e\u0301"):
        columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
        for size in (11, 12.5):
            assert text_width(text, size) == columns * 0.6 * size
