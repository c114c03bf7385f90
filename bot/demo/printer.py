"""Print the emulator's chats as they happen: who said what, the bot's buttons, narrator lines.

The emulator keeps each chat's timeline (messages, taps, pop-up answers); the printer shows
the part of it not shown yet, so a demo reads like a chat scrolling by. A message is printed as
it was when first shown, with its buttons: the bot later edits a question to "✔️ Ya" and drops
its keyboard, but the reader of the story should see the keyboard that was tapped.

With `show_edits` (the interactive mode) an edit is printed too, as the message again marked
"(diubah)" with its new buttons: on a phone the old message changes in place, in a terminal it
must be shown again, or the person would read one keyboard and tap another. The numbers typed
refer to the keyboard as printed (`keyboard`), never to one the person has not seen.
Colours come from rich when the terminal has them; piped output is plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from bot.emulator import CallbackAnswer, ChatMessage, TelegramEmulator
from bot.emulator.transcript import describe

__all__ = ["EDITED", "ChatPrinter", "PrintedKeyboard", "numbered_buttons"]

EDITED = "(diubah)"

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


@dataclass(frozen=True)
class PrintedKeyboard:
    """The buttons of `message` as last printed, numbered: what a typed number taps."""

    message: ChatMessage
    buttons: list[tuple[int, str, str | None]]

    def changed(self) -> bool:
        """True when the message's keyboard is no longer the one printed (edited, deleted)."""
        return self.message.deleted or numbered_buttons(self.message) != self.buttons


@dataclass
class ChatPrinter:
    """Prints new chat activity to `console` and keeps a plain copy in `lines`.

    `names` maps Telegram user ids to the speaker shown ("Siti (kader)"); `numbered` shows
    buttons as "[1] Ya  [2] Tidak" (the interactive mode types the number to tap);
    `show_edits` prints a message again, marked "(diubah)", each time the bot has edited it.
    """

    emulator: TelegramEmulator
    console: Console
    names: dict[int, str] = field(default_factory=dict)
    numbered: bool = False
    show_edits: bool = False
    lines: list[str] = field(default_factory=list)
    _shown: dict[int, int] = field(default_factory=dict)
    _printed: dict[tuple[int, int], tuple[ChatMessage, int, str]] = field(default_factory=dict)
    """(chat, message id) → the message, its edit count and its text when last printed."""
    _keyboards: dict[int, PrintedKeyboard] = field(default_factory=dict)

    def keyboard(self, chat_id: int) -> PrintedKeyboard | None:
        """The keyboard printed last in the chat (the one typed numbers refer to), or None
        when the last printed version of that message has no buttons any more."""
        return self._keyboards.get(chat_id)

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
        """Print what happened in the chat since the last flush; return the new bot messages
        (with `show_edits`, edited ones too)."""
        chat = self.emulator.state.known_chat(chat_id)
        if chat is None:
            return []
        start = self._shown.get(chat_id, 0)
        entries = chat.timeline[start:]
        self._shown[chat_id] = start + len(entries)
        edits = self._edited(chat_id)
        shown: list[ChatMessage] = []
        for kind, item in entries:
            if kind == "message" and isinstance(item, ChatMessage):
                if item.from_bot and edits:  # earlier messages change before the bot goes on
                    shown += self._print_edits(edits)
                self._message(item)
                if item.from_bot:
                    shown.append(item)
            elif kind == "answer" and isinstance(item, CallbackAnswer):
                if item.text:
                    label = "peringatan" if item.show_alert else "notifikasi"
                    self._emit(f"{_BOT}: ({label}) {item.text}", _STYLE_BOT)
            elif isinstance(item, str):
                self._emit(self._renamed(item), _STYLE_TAP)
        shown += self._print_edits(edits)
        return shown

    def _edited(self, chat_id: int) -> list[ChatMessage]:
        """Printed bot messages of the chat edited since they were printed (oldest first)."""
        if not self.show_edits:
            return []
        return [
            message
            for (chat, _), (message, edits, _text) in self._printed.items()
            if chat == chat_id and message.edit_count > edits and not message.deleted
        ]

    def _print_edits(self, edits: list[ChatMessage]) -> list[ChatMessage]:
        printed = list(edits)
        for message in printed:
            self._message(message, edited=True)
        edits.clear()
        return printed

    def skip(self, chat_id: int) -> None:
        """Mark everything in the chat so far as shown without printing it."""
        chat = self.emulator.state.known_chat(chat_id)
        if chat is not None:
            self._shown[chat_id] = len(chat.timeline)
            for kind, item in chat.timeline:
                if kind == "message" and isinstance(item, ChatMessage):
                    self._printed[(chat_id, item.message_id)] = (
                        item, item.edit_count, describe(item)
                    )

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

    def _message(self, message: ChatMessage, *, edited: bool = False) -> None:
        prefix = f"{self._speaker(message)}{' ' + EDITED if edited else ''}: "
        pad = " " * len(prefix)
        style = _STYLE_BOT if message.from_bot else _STYLE_USER
        text = describe(message)
        key = (message.chat_id, message.message_id)
        before = self._printed.get(key)
        self._printed[key] = (message, message.edit_count, text)
        if edited and before is not None and before[2] == text and not message.buttons:
            # Only the keyboard went away: say so in one line instead of the whole text again.
            self._emit(f"{prefix}(tombol dihapus) {text.splitlines()[0]}", style)
            self._remember_keyboard(message)
            return
        body = text.split("\n")
        self._emit(prefix + body[0], style)
        for line in body[1:]:
            self._emit(pad + line, style)
        if message.from_bot:
            self._remember_keyboard(message)
        if self.numbered:
            buttons = numbered_buttons(message)
            if buttons:
                self._emit(pad + "  ".join(f"[{n}] {label}" for n, label, _ in buttons),
                           _STYLE_BUTTONS)
            return
        for row in message.buttons:
            self._emit(pad + " ".join(f"[{label}]" for label in row), _STYLE_BUTTONS)

    def _remember_keyboard(self, message: ChatMessage) -> None:
        buttons = numbered_buttons(message)
        current = self._keyboards.get(message.chat_id)
        if buttons:
            self._keyboards[message.chat_id] = PrintedKeyboard(message, buttons)
        elif current is not None and current.message.message_id == message.message_id:
            del self._keyboards[message.chat_id]  # the keyboard in use was taken away

    def _emit(self, line: str, style: str) -> None:
        self.lines.append(line)
        self.console.print(Text(line, style=style or ""), soft_wrap=True, highlight=False)
