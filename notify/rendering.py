"""Templates staff write, rendered so they can reach nothing but their context.

The sandbox refuses attribute tricks (`''.__class__`), and every context value is a
plain string or number prepared by `notify.events`, so a template sees no model,
no session and no config. An unknown variable is an error, not an empty hole: a
typo must show in the preview, not in a customer's SMS.
"""
from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from string import Formatter
from typing import Any

from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from core.headers import allow_style_attribute

# A message is a few hundred characters; nothing a template builds needs to be larger.
MAX_BUILT_LENGTH = 10_000
# A whole rendered text: room for a price digest of a thousand lines, far from megabytes.
MAX_OUTPUT_LENGTH = 200_000
# Loop turns of one rendering, all loops together (nested loops multiply).
MAX_ITERATIONS = 20_000
# A message renders in milliseconds; a template that takes longer is doing something else.
RENDER_SECONDS = 1.0

# str methods and filters whose numeric arguments set the size of what they build.
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate"})
# printf-style conversions: flags, then width and precision (either may be * = from the arguments).
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


class RenderError(Exception):
    """The template does not render: a syntax error, an unknown variable, a forbidden access."""


class RenderLimit(RenderError):
    """The template asks for more than a message may cost: `reason` is too_long
    (a value or the text), too_slow or too_many_loops. Its words are staff's language."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail

    def __str__(self) -> str:
        return str(_LIMIT_WORDS[self.reason])


_LIMIT_WORDS = {
    "too_long": _l("шаблон будує занадто довгий текст (більше %(n)s символів)", n=f"{MAX_BUILT_LENGTH:,}".replace(",", " ")),
    "too_long_output": _l("повідомлення виходить занадто довгим (більше %(n)s символів)",
                          n=f"{MAX_OUTPUT_LENGTH:,}".replace(",", " ")),
    "too_many_loops": _l("у шаблоні забагато повторень циклів (більше %(n)s)", n=f"{MAX_ITERATIONS:,}".replace(",", " ")),
    "too_slow": _l("шаблон заповнюється занадто довго (понад %(n)s с)", n=RENDER_SECONDS),
}


class SecretMisuse(RenderError):
    """The template does something with a secret link but print it whole: a filter, a
    macro, text glued to it. Any of these could carry the token somewhere else."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return str(_l("змінну %(name)s можна лише вставити як є, окремим словом: {{ %(name)s }}", name=self.name))


# What may stand right after a link printed as a word of its own.
_AFTER_A_WORD = " \t\r\n.,;:!?)»\"'"


def check_secrets_printed_whole(source: str, text: str, secrets: dict[str, str]) -> None:
    """Raise SecretMisuse unless each secret in `secrets` (name -> the value printed) is
    used only as `{{ name }}` and stands in `text` as a word of its own."""
    if not secrets:
        return
    tree = _env.parse(source)
    printed = {name: 0 for name in secrets}
    for output in tree.find_all(nodes.Output):
        for node in output.nodes:
            if isinstance(node, nodes.Name) and node.name in printed:
                printed[node.name] += 1
    for node in tree.find_all(nodes.Name):
        if node.name in printed:
            printed[node.name] -= 1
    for name, value in secrets.items():
        if printed[name] < 0:
            raise SecretMisuse(name)
        for found in re.finditer(re.escape(value), text):
            before, after = text[:found.start()][-1:], text[found.end():][:1]
            if (before and not before.isspace()) or (after and after not in _AFTER_A_WORD):
                raise SecretMisuse(name)


@dataclass
class _Budget:
    """What one rendering may still spend; checked as it goes, so nothing runs away."""

    deadline: float
    iterations: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimit("too_slow", f"over {RENDER_SECONDS} s")


_budget: ContextVar[_Budget | None] = ContextVar("notify_render_budget", default=None)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def _sized(value: Any) -> Any:
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_BUILT_LENGTH:
        raise RenderLimit("too_long", f"a value of {len(value)} items")
    return value


def _small_number(value: Any) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_BUILT_LENGTH:
        raise RenderLimit("too_long", f"a width of {value}")


def _check_format(fmt: str, args: tuple[Any, ...] = ()) -> None:
    """Widths and precisions in a str.format or % format string, before it runs."""
    for number in re.findall(r"\d+", "".join(spec or "" for _, _, spec, _ in Formatter().parse(fmt))):
        _small_number(int(number))
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for part in (width, precision):
            if part.isdigit():
                _small_number(int(part))
            elif part == "*":
                for arg in args:
                    _small_number(arg)


def _check_str_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    name, text = getattr(method, "__name__", ""), getattr(method, "__self__", None)
    if not isinstance(text, str):
        return
    if name in _WIDTH_METHODS:
        for arg in (*args, *kwargs.values()):
            _small_number(arg)
        if name == "expandtabs" and args and isinstance(args[0], int) and text.count("\t") * args[0] > MAX_BUILT_LENGTH:
            raise RenderLimit("too_long", "expandtabs")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        _check_replace(text, args[0], args[1])
    elif name in ("format", "format_map"):
        _check_format(text, args)


def _check_replace(text: str, old: str, new: str) -> None:
    found = len(text) + 1 if old == "" else text.count(old)
    if len(text) + found * max(len(new) - len(old), 0) > MAX_BUILT_LENGTH:
        raise RenderLimit("too_long", "replace")


class _MessageSandbox(ImmutableSandboxedEnvironment):
    """The sandbox keeps a template from reaching anything; this also keeps it from
    freezing a worker or filling its memory: every value it builds stays small, its
    loops and its time are counted, and the text it writes is measured as it is written."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "**" and (not isinstance(right, int) or abs(right) > 100 or abs(left) > 10**6):
            raise SecurityError("the power is too large for a message")
        if operator == "*" and isinstance(left, (str, list, tuple)) != isinstance(right, (str, list, tuple)):
            count, seq = (right, left) if isinstance(left, (str, list, tuple)) else (left, right)
            if isinstance(count, int) and len(seq) * count > MAX_BUILT_LENGTH:
                raise RenderLimit("too_long", "a repeated text")
        if operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            if len(left) + len(right) > MAX_BUILT_LENGTH:
                raise RenderLimit("too_long", "a joined text")
        if operator == "%" and isinstance(left, str):
            _check_format(left, right if isinstance(right, tuple) else (right,))
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's own signature)
        _tick()
        _check_str_method(getattr(__obj, "__wrapped__", __obj), args, kwargs)
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        # Every loop walks its sequence through a counter; every `~` is measured.
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name("_counted", "load"), [loop.iter], [], None, None, lineno=loop.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [nodes.Call(nodes.Name("_joined", "load"), list(concat.nodes), [], None, None,
                                       lineno=concat.lineno)]
        return tree


def _counted(sequence: Any) -> Iterator[Any]:
    budget = _budget.get()
    for item in sequence:
        if budget is not None:
            budget.iterations += 1
            if budget.iterations > MAX_ITERATIONS:
                raise RenderLimit("too_many_loops", f"over {MAX_ITERATIONS} turns")
            budget.tick()
        yield item


def _joined(*parts: Any) -> str:
    pieces = [str(part) for part in parts]
    if sum(map(len, pieces)) > MAX_BUILT_LENGTH:
        raise RenderLimit("too_long", "a joined text")
    return "".join(pieces)


def _short_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > 1000:
        raise SecurityError("the range is too long for a message")
    return numbers


def _bounded_filter(name: str, apply: Callable[..., Any]) -> Callable[..., Any]:
    # Jinja hands filters marked so the environment or context first; the mark must stay.
    pass_arg = getattr(apply, "jinja_pass_arg", None)
    skip = 0 if pass_arg is None else 1

    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        value, rest = (args[skip], args[skip + 1:]) if len(args) > skip else (None, ())
        if name in _WIDTH_FILTERS:
            for arg in (*rest, *kwargs.values()):
                _small_number(arg)
        elif name == "format" and isinstance(value, str):
            _check_format(value, rest)
        elif name == "replace" and isinstance(value, str) and len(rest) >= 2 and all(isinstance(a, str) for a in rest[:2]):
            _check_replace(value, rest[0], rest[1])
        return _sized(apply(*args, **kwargs))

    if pass_arg is not None:
        bounded.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return bounded


_env = _MessageSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_env.filters = {name: _bounded_filter(name, apply) for name, apply in _env.filters.items()}
# lipsum writes pages of filler on request; no message needs it.
_env.globals.pop("lipsum", None)
_env.globals.update(range=_short_range, _counted=_counted, _joined=_joined)

# The GSM 03.38 basic set and its extension (each extension character takes two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
_URL = re.compile(r"https?://[^\s<>\"']+")


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
    token = _budget.set(_Budget(deadline=time.monotonic() + RENDER_SECONDS))
    try:
        written, length = [], 0
        # Streamed, so a text that grows past the limit stops there instead of filling memory.
        for chunk in _compiled(source).generate(context):
            length += len(chunk)
            if length > MAX_OUTPUT_LENGTH:
                raise RenderLimit("too_long_output", f"over {MAX_OUTPUT_LENGTH} characters")
            _tick()
            written.append(chunk)
        return "".join(written).strip()
    except RenderError:
        raise
    except TemplateError as exc:
        raise RenderError(str(exc)) from exc
    except Exception as exc:  # staff's template did arithmetic that fails: their mistake, not ours
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        _budget.reset(token)


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
