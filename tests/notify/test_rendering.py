"""Templates render in a sandbox that reaches nothing and builds nothing huge; SMS sizes
are counted the way phones count them."""
from __future__ import annotations

import pytest

from notify.rendering import RenderError, email_html, render_text, sms_size


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    '{{ "x" * 10**9 }}',
    "{{ 9 ** 9 ** 9 }}",
    "{{ [0] * 100000 }}",
    "{% for i in range(10**6) %}{% endfor %}",
    "{{ 1 / 0 }}",
    "{{ missing }}",
    "{% if %}",
])
def test_a_template_cannot_escape_freeze_or_fail_silently(source):
    with pytest.raises(RenderError):
        render_text(source, {})


def test_ordinary_templates_render():
    assert render_text("{{ a }} × {{ 3 * 4 }} {% for i in range(2) %}{{ i }}{% endfor %}", {"a": "Кава"}) == "Кава × 12 01"


@pytest.mark.parametrize(("text", "characters", "segments", "unicode"), [
    ("", 0, 0, False),
    ("a" * 160, 160, 1, False),
    ("a" * 161, 161, 2, False),
    ("€" * 80, 160, 1, False),  # an extension character takes two septets
    ("ї" * 70, 70, 1, True),
    ("ї" * 71, 71, 2, True),
    ("ї" * 134, 134, 2, True),
    ("ї" * 135, 135, 3, True),
    ("a" * 69 + "😀", 71, 2, True),  # an emoji is two UCS-2 units
])
def test_sms_size_counts_like_a_phone(text, characters, segments, unicode):
    size = sms_size(text)
    assert (size.characters, size.segments, size.unicode) == (characters, segments, unicode)


def test_the_html_part_keeps_paragraphs_and_links_and_escapes_the_rest():
    html = email_html("Рахунок <b>1</b>\n\nОплатити: https://p.example/pay/a?b=1&c=2", "Тема", "підпис")
    assert "&lt;b&gt;1&lt;/b&gt;" in html and '<a href="https://p.example/pay/a?b=1&amp;c=2">' in html
    assert html.count("<p>") == 2
