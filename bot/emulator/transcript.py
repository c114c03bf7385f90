"""A readable chat transcript ("Bot: ... / Siti: ...") for test failures and the demo."""

from __future__ import annotations

from bot.emulator.state import CallbackAnswer, ChatMessage, ChatState

INDENT = "     "


def render_transcript(chat: ChatState, names: dict[int, str]) -> str:
    """Everything that happened in the chat, in order, with messages in their current state."""
    lines: list[str] = []
    for kind, item in chat.timeline:
        if kind == "message" and isinstance(item, ChatMessage):
            lines.extend(render_message(item, names))
        elif kind == "answer" and isinstance(item, CallbackAnswer):
            if item.text:
                label = "peringatan" if item.show_alert else "notifikasi"
                lines.append(f"Bot: ({label}) {item.text}")
        elif isinstance(item, str):
            lines.append(item)
    return "\n".join(lines)


def speaker(message: ChatMessage, names: dict[int, str]) -> str:
    """The speaker label: "Bot" or the user's first name."""
    if message.from_bot:
        return "Bot"
    user_id = message.from_user.get("id")
    if isinstance(user_id, int) and user_id in names:
        return names[user_id]
    return str(message.from_user.get("first_name", "Pengguna"))


def render_message(message: ChatMessage, names: dict[int, str]) -> list[str]:
    """One message: "Bot: text (diedit)" plus its buttons as "[Ya] [Tidak]" rows."""
    prefix = f"{speaker(message, names)}: "
    body = describe(message)
    if message.edited:
        body += " (diedit)"
    if message.deleted:
        body += " (dihapus)"
    pad = " " * len(prefix)
    text_lines = body.split("\n")
    lines = [prefix + text_lines[0]] + [pad + line for line in text_lines[1:]]
    for row in message.buttons:
        lines.append(pad + " ".join(f"[{label}]" for label in row))
    return lines


def describe(message: ChatMessage) -> str:
    """The message body as words: text, or a bracketed media description plus caption."""
    caption = f" {message.caption}" if message.caption else ""
    if message.photo is not None:
        name = f" {message.photo.filename}" if message.photo.filename else ""
        return f"[foto{name}, {human_size(message.photo.size)}]{caption}"
    if message.document is not None:
        name = f" {message.document.filename}" if message.document.filename else ""
        return f"[dokumen{name}, {human_size(message.document.size)}]{caption}"
    if message.text is not None:
        return message.text
    extra = message.extra
    if "sticker" in extra:
        return f"[stiker {extra['sticker'].get('emoji', '')}]".replace(" ]", "]")
    if "location" in extra:
        where = extra["location"]
        return f"[lokasi {where.get('latitude')}, {where.get('longitude')}]"
    if "voice" in extra:
        return f"[pesan suara {extra['voice'].get('duration', 0)} detik]"
    if "contact" in extra:
        return f"[kontak {extra['contact'].get('phone_number', '')}]"
    return f"[{message.kind}]"


def human_size(size: int) -> str:
    """Bytes as "812 B" or "26 KB"."""
    if size < 1024:
        return f"{size} B"
    return f"{round(size / 1024)} KB"
