"""Print the emulator's chats as they happen: who said what, the bot's buttons, narrator lines.

The emulator keeps each chat's timeline (messages, taps, pop-up answers); the printer shows
the part of it not shown yet, so a demo reads like a chat scrolling by. A message is printed as
it was when first shown, with its buttons: the bot later edits a question to "✔️ Ya" and drops
its keyboard, but the reader should see the keyboard that was tapped. Colours come from rich
when the terminal has them; piped output is plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from bot.emulator import CallbackAnswer, ChatMessage, TelegramEmulator
from bot.emulator.transcript import describe

__all__ = ["ChatPrinter", "numbered_buttons"]

_BOT = "Bot"
_STYLE_BOT = "cyan"
_STYLE_USER = "bold green"
_STYLE_TAP = "yellow"
_STYLE_BUTTONS = "dim cyan"
_STYLE_NARRATOR = "bold magenta"
_STYLE_NOTE = "italic"


def numbered_buttons(message: ChatMessage) -> list[tuple[int, str, str | None]]:
    """The message's inline buttons numbered from 1 in reading order: (number, label, data)."""
    out: list[tuple[int, str, str | None]] = []
    for labels, datas in zip(message.buttons, message.button_data, strict=True):
        for label, data in zip(labels, datas, strict=True):
            out.append((len(out) + 1, label, data))
    return out


@dataclass
class ChatPrinter:
    """Prints new chat activity to `console` and keeps a plain copy in `lines`.

    `names` maps Telegram user ids to the speaker shown ("Siti (kader)"); `numbered` shows
    buttons as "[1] Ya  [2] Tidak" (the interactive mode types the number to tap).
    """

    emulator: TelegramEmulator
    console: Console
    names: dict[int, str] = field(default_factory=dict)
    numbered: bool = False
    lines: list[str] = field(default_factory=list)
    _shown: dict[int, int] = field(default_factory=dict)

    # -- narrator --------------------------------------------------------------------------

    def narrate(self, text: str) -> None:
        """A narrator line between acts: "— Kader Siti mendaftar ... —"."""
        self._emit("", "")
        self._emit(f"— {text} —", _STYLE_NARRATOR)

    def note(self, text: str, style: str = _STYLE_NOTE) -> None:
        """A line outside the chat (a command line, a file written, a figure)."""
        self._emit(text, style)

    def header(self, text: str) -> None:
        """A heading (the title, the summary)."""
        self._emit("", "")
        self._emit(text, "bold")
        self._emit("═" * min(len(text), 78), "bold")

    # -- chats -----------------------------------------------------------------------------

    def flush(self, chat_id: int) -> list[ChatMessage]:
        """Print what happened in the chat since the last flush; return the new bot messages."""
        chat = self.emulator.state.known_chat(chat_id)
        if chat is None:
            return []
        start = self._shown.get(chat_id, 0)
        entries = chat.timeline[start:]
        self._shown[chat_id] = start + len(entries)
        shown: list[ChatMessage] = []
        for kind, item in entries:
            if kind == "message" and isinstance(item, ChatMessage):
                self._message(item)
                if item.from_bot:
                    shown.append(item)
            elif kind == "answer" and isinstance(item, CallbackAnswer):
                if item.text:
                    label = "peringatan" if item.show_alert else "notifikasi"
                    self._emit(f"{_BOT}: ({label}) {item.text}", _STYLE_BOT)
            elif isinstance(item, str):
                self._emit(self._renamed(item), _STYLE_TAP)
        return shown

    def skip(self, chat_id: int) -> None:
        """Mark everything in the chat so far as shown without printing it."""
        chat = self.emulator.state.known_chat(chat_id)
        if chat is not None:
            self._shown[chat_id] = len(chat.timeline)

    def _speaker(self, message: ChatMessage) -> str:
        if message.from_bot:
            return _BOT
        user_id = message.from_user.get("id")
        if isinstance(user_id, int) and user_id in self.names:
            return self.names[user_id]
        return str(message.from_user.get("first_name", "Pengguna"))

    def _renamed(self, line: str) -> str:
        """A timeline note ("Siti: (ketuk) [Ya]") with the speaker's role name."""
        for user_id, name in self.names.items():
            first = self.emulator.state.users.get(user_id, {}).get("first_name")
            if first and line.startswith(f"{first}: "):
                return f"{name}: {line[len(first) + 2:]}"
        return line

    def _message(self, message: ChatMessage) -> None:
        prefix = f"{self._speaker(message)}: "
        pad = " " * len(prefix)
        style = _STYLE_BOT if message.from_bot else _STYLE_USER
        body = describe(message).split("\n")
        self._emit(prefix + body[0], style)
        for line in body[1:]:
            self._emit(pad + line, style)
        if self.numbered:
            buttons = numbered_buttons(message)
            if buttons:
                self._emit(pad + "  ".join(f"[{n}] {label}" for n, label, _ in buttons),
                           _STYLE_BUTTONS)
            return
        for row in message.buttons:
            self._emit(pad + " ".join(f"[{label}]" for label in row), _STYLE_BUTTONS)

    def _emit(self, line: str, style: str) -> None:
        self.lines.append(line)
        self.console.print(Text(line, style=style or ""), soft_wrap=True, highlight=False)
