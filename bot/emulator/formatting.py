"""Telegram's text rules: HTML parse mode, entities and length limits.

Telegram rejects malformed HTML instead of showing it, and counts limits on the *parsed* text.
A bot that escapes a village name wrongly fails only in production unless a fake is this strict.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


@dataclass(frozen=True)
class FormattedText:
    """What the user sees: the plain text plus entities with UTF-16 offsets."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()

    def entity_list(self) -> list[dict[str, Any]]:
        """The entities as a JSON-ready list."""
        return [dict(entity) for entity in self.entities]


@dataclass
class _OpenTag:
    name: str
    start: int
    attributes: dict[str, str] = field(default_factory=dict)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> FormattedText:
    """Apply a parse mode the way the Bot API does; explicit entities win when given."""
    mode = (parse_mode or "").strip()
    if entities:
        return FormattedText(text, tuple(dict(entity) for entity in entities))
    if not mode:
        return FormattedText(text)
    if mode.lower() == "html":
        return parse_html(text)
    if mode.lower() in ("markdown", "markdownv2"):
        return FormattedText(text)
    raise bad_request(f"unsupported parse_mode {mode!r}")


def parse_html(source: str) -> FormattedText:
    """Parse Telegram's HTML subset, raising "can't parse entities" exactly where Telegram does."""
    out: list[str] = []
    out_len = 0
    stack: list[_OpenTag] = []
    made: list[dict[str, Any]] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "&":
            ref = _CHAR_REF.match(source, index)
            piece = html.unescape(ref.group(0)) if ref else "&"
            index = ref.end() if ref else index + 1
            out.append(piece)
            out_len += utf16_length(piece)
            continue
        if char != "<":
            nxt = _next_special(source, index)
            piece = source[index:nxt]
            out.append(piece)
            out_len += utf16_length(piece)
            index = nxt
            continue
        tag = _TAG.match(source, index)
        offset = len(source[:index].encode("utf-8"))
        if tag is None:
            raise _entities_error(f'Unexpected "<" at byte offset {offset}')
        closing, name, raw_attributes = tag.group(1) == "/", tag.group(2).lower(), tag.group(3)
        if closing:
            _close(stack, name, offset, out_len, made)
        else:
            stack.append(_open(name, raw_attributes, offset, out_len))
        index = tag.end()
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    made.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return FormattedText("".join(out), tuple(made))


def _next_special(source: str, index: int) -> int:
    positions = [pos for pos in (source.find("<", index), source.find("&", index)) if pos >= 0]
    return min(positions) if positions else len(source)


def _open(name: str, raw_attributes: str, offset: int, position: int) -> _OpenTag:
    if name not in _ENTITY_TYPES:
        raise _entities_error(f'Unsupported start tag "{name}" at byte offset {offset}')
    attributes = {
        match.group(1).lower(): next((g for g in match.groups()[1:] if g is not None), "")
        for match in _ATTRIBUTE.finditer(raw_attributes or "")
    }
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise _entities_error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    return _OpenTag(name, position, attributes)


def _close(
    stack: list[_OpenTag], name: str, offset: int, position: int, made: list[dict[str, Any]]
) -> None:
    if not stack:
        raise _entities_error(f"Unexpected end tag at byte offset {offset}")
    top = stack[-1]
    if top.name != name:
        raise _entities_error(
            f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
            f'found "</{name}>"'
        )
    stack.pop()
    length = position - top.start
    if length <= 0:
        return
    entity: dict[str, Any] = {"type": _ENTITY_TYPES[name], "offset": top.start, "length": length}
    if name == "a":
        href = top.attributes.get("href")
        if not href:
            return
        entity["url"] = href
    elif name == "blockquote" and "expandable" in top.attributes:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = top.attributes.get("emoji-id", "")
    elif name == "code" and stack and stack[-1].name == "pre":
        language = top.attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1].attributes["language"] = language.removeprefix("language-")
            return
    elif name == "pre" and top.attributes.get("language"):
        entity["language"] = top.attributes["language"]
    made.append(entity)


def _entities_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def check_text(formatted: FormattedText) -> None:
    """The limits of a message text: not empty, at most 4096 characters after parsing."""
    if not formatted.text.strip():
        raise bad_request("message text is empty")
    if len(formatted.text) > MAX_TEXT:
        raise bad_request("message is too long")


def check_caption(formatted: FormattedText) -> None:
    """The limit of a media caption: at most 1024 characters after parsing."""
    if len(formatted.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
