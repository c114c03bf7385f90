"""What the emulator remembers: chats with their transcripts, callback queries, calls.

Plain data, no I/O. Tests read these records to assert on what a user actually sees (the
message *after* edits, the keyboard currently attached, whether it was deleted).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.files import FileStore, UploadedFile
from bot.emulator.markup import inline_rows

JsonDict = dict[str, Any]


@dataclass
class ChatMessage:
    """One message in a chat, from a user or from the bot, in its current (edited) state."""

    chat: JsonDict
    message_id: int
    from_user: JsonDict
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JsonDict] = field(default_factory=list)
    source: str | None = None
    parse_mode: str | None = None
    reply_markup: JsonDict | None = None
    photo: UploadedFile | None = None
    document: UploadedFile | None = None
    extra: JsonDict = field(default_factory=dict)
    reply_to_message_id: int | None = None
    deleted: bool = False
    edit_date: int | None = None
    edit_count: int = 0

    @property
    def chat_id(self) -> int:
        """The id of the chat this message lives in."""
        return int(self.chat["id"])

    @property
    def edited(self) -> bool:
        """True once the text, caption or keyboard was edited."""
        return self.edit_count > 0

    @property
    def visible_text(self) -> str:
        """Text or caption, whichever the message shows ("" for a bare sticker)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[str]]:
        """Rows of the visible texts of the inline keyboard currently attached."""
        return [[str(b.get("text", "")) for b in row] for row in inline_rows(self.reply_markup)]

    @property
    def button_data(self) -> list[list[str | None]]:
        """Rows of ``callback_data`` (None for URL and other buttons)."""
        return [[b.get("callback_data") for b in row] for row in inline_rows(self.reply_markup)]

    @property
    def kind(self) -> str:
        """What the message is: text, photo, document, or the user payload key (sticker ...)."""
        if self.photo is not None:
            return "photo"
        if self.document is not None:
            return "document"
        if self.text is not None:
            return "text"
        return next(iter(self.extra), "unknown")

    def to_api(self) -> JsonDict:
        """The message as a Bot API ``Message`` object."""
        body: JsonDict = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": dict(self.chat),
            "from": dict(self.from_user),
        }
        if self.text is not None:
            body["text"] = self.text
            if self.entities:
                body["entities"] = [dict(e) for e in self.entities]
        if self.caption is not None:
            body["caption"] = self.caption
            if self.caption_entities:
                body["caption_entities"] = [dict(e) for e in self.caption_entities]
        if self.photo is not None:
            body["photo"] = photo_sizes(self.photo)
        if self.document is not None:
            body["document"] = document_object(self.document)
        body.update(self.extra)
        if self.reply_markup is not None:
            body["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            body["edit_date"] = self.edit_date
        return body


def photo_sizes(upload: UploadedFile) -> list[JsonDict]:
    """A ``photo`` array as Telegram returns it (one size: the original)."""
    width, height = upload.image_size() or (0, 0)
    return [
        {
            "file_id": upload.file_id,
            "file_unique_id": upload.file_unique_id,
            "width": width,
            "height": height,
            "file_size": upload.size,
        }
    ]


def document_object(upload: UploadedFile) -> JsonDict:
    """A ``Document`` object."""
    body: JsonDict = {
        "file_id": upload.file_id,
        "file_unique_id": upload.file_unique_id,
        "file_size": upload.size,
    }
    if upload.filename:
        body["file_name"] = upload.filename
    if upload.mime_type:
        body["mime_type"] = upload.mime_type
    return body


@dataclass
class CallbackQueryRecord:
    """A callback query the emulator sent; it may be answered exactly once."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    answered: bool = False
    expired: bool = False


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's ``answerCallbackQuery`` (the toast or alert the user saw)."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    at: float


@dataclass(frozen=True)
class ChatAction:
    """A ``sendChatAction`` ("typing", "upload_photo" ...)."""

    chat_id: int
    action: str
    at: float


@dataclass
class ApiCall:
    """One Bot API request as the bot made it, with the outcome the emulator answered."""

    seq: int
    method: str
    params: JsonDict
    chat_id: int | None
    started: float
    status: int = 0
    result: Any = None
    description: str | None = None
    finished: float | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    in_webhook_reply: bool = False
    """Carried in the body of a webhook response rather than called over HTTP."""

    @property
    def ok(self) -> bool:
        """True when the emulator answered with a success envelope."""
        return 200 <= self.status < 300

    @property
    def done(self) -> bool:
        """True once an answer (or a dropped connection) ended the call."""
        return self.finished is not None


TimelineEntry = tuple[str, "ChatMessage | CallbackAnswer | str"]
"""What happened in a chat, in order: ("message", ChatMessage), ("answer", CallbackAnswer),
("tap", button label) or ("note", text such as a block). Drives the readable transcript."""


@dataclass
class ChatState:
    """One chat: its transcript, the reply keyboard shown, and the chat actions received."""

    chat: JsonDict
    messages: list[ChatMessage] = field(default_factory=list)
    actions: list[ChatAction] = field(default_factory=list)
    reply_keyboard: JsonDict | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def chat_id(self) -> int:
        """The chat id."""
        return int(self.chat["id"])

    def next_message_id(self) -> int:
        """Message ids increase monotonically per chat, shared by both sides."""
        return next(self._ids)

    def find(self, message_id: int) -> ChatMessage | None:
        """The message with this id, deleted or not."""
        for message in self.messages:
            if message.message_id == message_id:
                return message
        return None


@dataclass
class EmulatorState:
    """Everything the fake Telegram knows; the HTTP layer and the test client share it."""

    bot_user: JsonDict
    chats: dict[int, ChatState] = field(default_factory=dict)
    users: dict[int, JsonDict] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    queries: dict[str, CallbackQueryRecord] = field(default_factory=dict)
    answers: list[CallbackAnswer] = field(default_factory=list)
    calls: list[ApiCall] = field(default_factory=list)
    commands: dict[tuple[str, str], list[JsonDict]] = field(default_factory=dict)
    files: FileStore = field(default_factory=FileStore)
    internal_errors: list[str] = field(default_factory=list)
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def known_chat(self, chat_id: int) -> ChatState | None:
        """The chat, if a user update from it was ever seen (the user "started" the bot)."""
        return self.chats.get(chat_id)

    def ensure_chat(self, chat: JsonDict) -> ChatState:
        """Register a chat the first time a user writes in it."""
        chat_id = int(chat["id"])
        state = self.chats.get(chat_id)
        if state is None:
            state = ChatState(chat=dict(chat))
            self.chats[chat_id] = state
        return state

    def new_query_id(self) -> str:
        """Callback query ids are opaque strings in Telegram."""
        return str(4_000_000_000 + next(self._query_ids))
