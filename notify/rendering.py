"""Templates staff write, rendered so they can reach nothing but their context.

The sandbox refuses attribute tricks (`''.__class__`), and every context value is a
plain string or number prepared by `notify.events`, so a template sees no model,
no session and no config. An unknown variable is an error, not an empty hole: a
typo must show in the preview, not in a customer's SMS.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from core.headers import allow_style_attribute

# A message is a few hundred characters; nothing a template builds needs to be larger.
MAX_BUILT_LENGTH = 10_000


class _MessageSandbox(ImmutableSandboxedEnvironment):
    """The sandbox keeps a template from reaching anything; this also keeps it from
    freezing a worker with `{{ "x" * 10**9 }}` or `{{ 9 ** 9 ** 9 }}`."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (not isinstance(right, int) or abs(right) > 100 or abs(left) > 10**6):
            raise SecurityError("the power is too large for a message")
        if operator == "*" and isinstance(left, (str, list, tuple)) != isinstance(right, (str, list, tuple)):
            count, seq = (right, left) if isinstance(left, (str, list, tuple)) else (left, right)
            if isinstance(count, int) and len(seq) * count > MAX_BUILT_LENGTH:
                raise SecurityError("the text is too long for a message")
        return super().call_binop(context, operator, left, right)


def _short_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > 1000:
        raise SecurityError("the range is too long for a message")
    return numbers


_env = _MessageSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.globals["range"] = _short_range

# The GSM 03.38 basic set and its extension (each extension character takes two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
_URL = re.compile(r"https?://[^\s<>\"']+")


class RenderError(Exception):
    """The template does not render: a syntax error, an unknown variable, a forbidden access."""


@dataclass(frozen=True)
class SmsSize:
    characters: int
    segments: int
    unicode: bool


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    # Compiling costs more than rendering; a worker renders the same few dozen texts all day.
    return _env.from_string(source)


def render_text(source: str, context: dict[str, Any]) -> str:
    try:
        return _compiled(source).render(context).strip()
    except TemplateError as exc:
        raise RenderError(str(exc)) from exc
    except Exception as exc:  # staff's template did arithmetic that fails: their mistake, not ours
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc


def sms_size(text: str) -> SmsSize:
    """Characters and parts the way phones count them: 160/153 in GSM-7, but any
    Cyrillic letter makes the whole text UCS-2 at 70/67."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        length = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part, unicode = 160, 153, False
    else:
        # Characters outside the BMP (emoji) take two UCS-2 code units.
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, part, unicode = 70, 67, True
    segments = 0 if length == 0 else 1 if length <= single else -(-length // part)
    return SmsSize(length, segments, unicode)


# The e-mail layout's inline styles (mail clients drop <style>); the backoffice preview
# shows them under the page's Content-Security-Policy, which allows exactly these.
_BODY_STYLE = allow_style_attribute(
    "font-family:Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2933;max-width:600px;margin:0 auto;padding:16px"
)
_RULE_STYLE = allow_style_attribute("border:none;border-top:1px solid #d9dee3")
_FOOTER_STYLE = allow_style_attribute("font-size:12px;color:#6b7785")


def email_html(body: str, title: str, footer: str) -> str:
    """The HTML part: the same words as the text part, paragraphs and links kept."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    rendered = "".join(f"<p>{_linkify(p)}</p>" for p in paragraphs)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="{_BODY_STYLE}">'
        f"{rendered}"
        f'<hr style="{_RULE_STYLE}"><p style="{_FOOTER_STYLE}">'
        f"{html.escape(footer)}</p></body></html>"
    )


def _linkify(paragraph: str) -> str:
    out, last = [], 0
    for match in _URL.finditer(paragraph):
        out.append(html.escape(paragraph[last:match.start()]))
        url = html.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(paragraph[last:]))
    return "".join(out).replace("\n", "<br>")
