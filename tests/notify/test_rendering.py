"""Templates render in a sandbox that reaches nothing and builds nothing huge; SMS sizes
are counted the way phones count them."""
from __future__ import annotations

import time
import tracemalloc

import pytest

from notify.rendering import RenderError, RenderLimit, email_html, render_text, sms_size


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


# Each asks for megabytes or minutes: refused before it is built, or stopped as it runs.
COSTLY = [
    ('{{ "x"|center(200000000) }}', "too_long"),
    ('{{ "x".center(200000000) }}', "too_long"),
    ('{{ "x".ljust(200000000) }}', "too_long"),
    ('{{ "x".rjust(10**8) }}', "too_long"),
    ('{{ "1".zfill(10**8) }}', "too_long"),
    ('{{ ("\t" * 5000).expandtabs(10000) }}', "too_long"),
    ('{{ "{:>200000000}".format(1) }}', "too_long"),
    ('{{ "%200000000s"|format(1) }}', "too_long"),
    ('{{ "%200000000s" % 1 }}', "too_long"),
    ('{{ "%*s" % (200000000, 1) }}', "too_long"),
    ('{{ "x"|indent(200000000, true) }}', "too_long"),
    ('{{ "a b"|wordwrap(200000000) }}', "too_long"),
    ('{% set s = "x" * 10000 %}{{ s.replace("x", s) }}', "too_long"),
    ('{% set s = "x" * 10000 %}{{ s|replace("x", s) }}', "too_long"),
    ('{% set a = "x" * 6000 %}{{ a ~ a }}', "too_long"),
    ('{% set a = "x" * 6000 %}{{ a + a }}', "too_long"),
    ('{% set ns = namespace(x="ab") %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}',
     "too_long"),
    ('{{ (["x" * 10000] * 1000)|join }}', "too_long"),
    # The nested loops that wrote 29 MB, and the same loops writing nothing.
    ('{% for a in range(1000) %}{% for b in range(1000) %}{{ "x" * 1000 }}{% endfor %}{% endfor %}',
     "too_long_output"),
    ('{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}x{% endfor %}{% endfor %}'
     '{% endfor %}', "too_many_loops"),
    ('{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}'
     '{% endfor %}', "too_many_loops"),
    # Recursion that writes nothing and loops over nothing: only the clock stops it.
    ('{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}', "too_slow"),
]


@pytest.mark.parametrize(("source", "reason"), COSTLY)
def test_a_costly_template_is_refused_quickly_and_small(app, source, reason):
    tracemalloc.start()
    started = time.monotonic()
    try:
        with app.test_request_context(), pytest.raises(RenderLimit) as refused:
            render_text(source, {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.reason == reason
    assert time.monotonic() - started < 3
    assert peak < 32 * 1024 * 1024
    with app.test_request_context():
        assert "шаблон" in str(refused.value) or "повідомлення" in str(refused.value)


def test_lipsum_is_not_offered():
    with pytest.raises(RenderError):
        render_text("{{ lipsum(100000) }}", {})


def test_a_long_but_honest_digest_still_renders():
    lines = [{"name": f"Товар {n}", "sku": f"SKU-{n:04d}"} for n in range(1000)]
    text = render_text("{% for line in lines %}{{ line.name }} ({{ line.sku }}): {{ '%.2f' % 1.5 }}\n{% endfor %}",
                       {"lines": lines})
    assert text.count("\n") == 999


def test_ordinary_templates_render():
    assert render_text("{{ a }} × {{ 3 * 4 }} {% for i in range(2) %}{{ i }}{% endfor %}", {"a": "Кава"}) == "Кава × 12 01"
    assert render_text('{{ "ab"|center(6) }}|{{ "%5.1f" % 2.25 }}|{{ a ~ "!" }}|{{ "{:>4}".format(7) }}',
                       {"a": "y"}) == "ab  |  2.2|y!|   7"


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
