"""The test side: a Telegram user who sends messages, taps buttons and reads the bot's replies.

Every action builds the update the real Telegram client would cause (with a ``bot_command``
entity for ``/commands``, the current message for a button tap, ``my_chat_member`` for a
block) and queues it in the emulator; ``wait_reply`` waits until the bot has finished reacting.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from bot.emulator.files import UploadedFile, tiny_png
from bot.emulator.markup import inline_rows, reply_keyboard_rows
from bot.emulator.server import is_transport
from bot.emulator.state import (
    ApiCall,
    CallbackAnswer,
    CallbackQueryRecord,
    ChatMessage,
    ChatState,
    JsonDict,
)
from bot.emulator.transcript import render_message

if TYPE_CHECKING:
    from bot.emulator.server import TelegramEmulator

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
_NOT_A_REACTION = frozenset({"sendchataction", "getchat", "getfile"})


def command_entities(text: str) -> list[JsonDict]:
    """A ``bot_command`` entity for a leading ``/command`` (CommandHandler needs it)."""
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(match.group(0))}]


class EmulatedUser:
    """One Telegram user talking to the bot; create it with ``emulator.user(...)``."""

    def __init__(self, emulator: TelegramEmulator, profile: JsonDict) -> None:
        self._emu = emulator
        self.profile = profile
        self._mark = emulator.last_seq
        self._last_chat_id = self.id

    # -- identity --------------------------------------------------------------------------

    @property
    def id(self) -> int:
        """The Telegram user id (also the id of the private chat with the bot)."""
        return int(self.profile["id"])

    @property
    def first_name(self) -> str:
        """The name shown in transcripts."""
        return str(self.profile["first_name"])

    @property
    def chat(self) -> JsonDict:
        """The private chat with the bot as a Bot API ``Chat``."""
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if key in self.profile:
                chat[key] = self.profile[key]
        return chat

    @property
    def chat_id(self) -> int:
        """The private chat id (equal to the user id, as in Telegram)."""
        return self.id

    @property
    def blocked(self) -> bool:
        """True while the user has the bot blocked."""
        return self.id in self._emu.state.blocked

    # -- sending ---------------------------------------------------------------------------

    async def send(self, text: str, *, reply_to: ChatMessage | int | None = None) -> ChatMessage:
        """Send a text message in the private chat (``/start payload`` works as in Telegram)."""
        return self._send_in(self.chat, reply_to=reply_to, text=text)

    async def send_in_group(
        self, text: str, group_id: int, *, title: str = "Grup Kader"
    ) -> ChatMessage:
        """Send a text message in a group the bot is a member of."""
        group = {"id": group_id, "type": "group", "title": title}
        return self._send_in(group, text=text)

    async def send_photo(
        self, data: bytes | None = None, *, caption: str | None = None, filename: str = "foto.png"
    ) -> ChatMessage:
        """Send a photo (a small PNG unless ``data`` is given); the bot can ``getFile`` it."""
        photo = self._emu.state.files.add(
            UploadedFile(data or tiny_png(), filename, "image/png"), "photos"
        )
        return self._send_in(self.chat, photo=photo, caption=caption)

    async def send_document(
        self,
        data: bytes,
        filename: str,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> ChatMessage:
        """Send a file."""
        document = self._emu.state.files.add(UploadedFile(data, filename, mime_type), "documents")
        return self._send_in(self.chat, document=document, caption=caption)

    async def send_sticker(self, emoji: str = "👍") -> ChatMessage:
        """Send a sticker."""
        sticker = self._emu.state.files.add(UploadedFile(b"RIFF-webp-sticker"), "stickers")
        payload = {
            "file_id": sticker.file_id,
            "file_unique_id": sticker.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._send_in(self.chat, extra={"sticker": payload})

    async def send_location(self, latitude: float, longitude: float) -> ChatMessage:
        """Share a location."""
        return self._send_in(
            self.chat, extra={"location": {"latitude": latitude, "longitude": longitude}}
        )

    async def send_voice(self, duration: int = 3) -> ChatMessage:
        """Send a voice note."""
        voice = self._emu.state.files.add(UploadedFile(b"OggS-voice", None, "audio/ogg"), "voice")
        payload = {
            "file_id": voice.file_id,
            "file_unique_id": voice.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return self._send_in(self.chat, extra={"voice": payload})

    async def send_contact(self, phone_number: str) -> ChatMessage:
        """Share the user's own contact (the "share phone number" button)."""
        contact = {
            "phone_number": phone_number,
            "first_name": self.first_name,
            "user_id": self.id,
        }
        return self._send_in(self.chat, extra={"contact": contact})

    async def edit(self, message: ChatMessage | int, new_text: str) -> ChatMessage:
        """Edit one of the user's own text messages (an ``edited_message`` update)."""
        target = self._own_message(message)
        if target.text is None:
            raise AssertionError(f"message {target.message_id} has no text to edit")
        target.text = new_text
        target.entities = command_entities(new_text)
        target.edit_date = int(time.time())
        target.edit_count += 1
        self._act(target.chat_id, {"edited_message": target.to_api()})
        return target

    async def block(self) -> None:
        """Block the bot: later sends get 403 and the bot receives ``my_chat_member``."""
        self._emu.set_blocked(self.id, True)
        self._chat_state(self.chat).timeline.append(("note", f"{self.first_name}: (memblokir bot)"))
        self._act(self.id, {"my_chat_member": self._member_change("member", "kicked")})

    async def unblock(self) -> None:
        """Unblock the bot (``my_chat_member`` kicked → member)."""
        self._emu.set_blocked(self.id, False)
        self._chat_state(self.chat).timeline.append(
            ("note", f"{self.first_name}: (membuka blokir bot)")
        )
        self._act(self.id, {"my_chat_member": self._member_change("kicked", "member")})

    # -- buttons ---------------------------------------------------------------------------

    async def tap(
        self, label_or_data: str, *, message: ChatMessage | int | None = None
    ) -> CallbackQueryRecord:
        """Tap an inline button by its text (exact, then case-insensitive) or callback_data.

        Without ``message``, the latest bot message with an inline keyboard is used.
        """
        target = self._keyboard_message(message)
        buttons = [b for row in inline_rows(target.reply_markup if target else None) for b in row]
        button = (
            next((b for b in buttons if b.get("text") == label_or_data), None)
            or next(
                (
                    b
                    for b in buttons
                    if str(b.get("text", "")).casefold() == label_or_data.casefold()
                ),
                None,
            )
            or next((b for b in buttons if b.get("callback_data") == label_or_data), None)
        )
        if button is None or target is None:
            raise AssertionError(self._no_button(label_or_data, target))
        if "callback_data" not in button:
            raise AssertionError(
                f"button [{button.get('text')}] has no callback_data (it is {button!r})"
            )
        return self._callback(
            target.chat, target, str(button["callback_data"]), str(button.get("text", ""))
        )

    async def press(self, label: str) -> ChatMessage:
        """Press a button of the custom reply keyboard: Telegram sends its text as a message."""
        for row in self.reply_keyboard():
            for text in row:
                if text == label or text.casefold() == label.casefold():
                    return await self.send(text)
        shown = " / ".join(" ".join(f"[{t}]" for t in row) for row in self.reply_keyboard())
        raise AssertionError(
            f"{self.first_name} cannot press {label!r}: "
            f"the reply keyboard is {shown or 'not shown'}"
        )

    async def tap_data(self, message_id: int, data: str) -> CallbackQueryRecord:
        """A callback query with any data on any message id (stale keyboards, garbage data)."""
        chat = self._chat_state(self.chat)
        target = chat.find(message_id)
        if target is None or target.deleted:
            inaccessible: JsonDict = {"chat": self.chat, "message_id": message_id, "date": 0}
            return self._callback(self.chat, None, data, data, inaccessible)
        return self._callback(target.chat, target, data, data)

    # -- waiting ---------------------------------------------------------------------------

    async def wait_reply(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - an assertion deadline, not an I/O timeout
        *,
        quiet: float | None = None,
        min_messages: int = 0,
    ) -> list[ChatMessage]:
        """Wait until the bot has reacted to the last action and then gone quiet.

        "Reacted" means at least one successful message, edit, delete or callback answer in
        the chat of the last action (and at least ``min_messages`` bot messages sent or
        edited, for handlers that answer a tap first and edit after slow work); "quiet" means
        no bot call running or finished for ``quiet`` seconds (default: the emulator's
        ``quiet_period``). Returns the bot messages sent or edited since the action, in their
        current state.
        """
        window = self._emu.quiet_period if quiet is None else quiet
        mark = self._mark

        def settled() -> bool:
            return (
                any(self._is_reaction(c) for c in self._emu.calls(since=mark))
                and self._emu.idle_for() >= window
                and len(self.replies_since(mark)) >= min_messages
            )

        try:
            await self._emu.wait_for(settled, timeout=timeout, what="a reply")
        except AssertionError:
            raise AssertionError(self._no_reply(timeout, mark)) from None
        return self.replies_since(mark)

    def replies_since(self, seq: int) -> list[ChatMessage]:
        """Bot messages in the last action's chat that were sent or edited after call ``seq``."""
        chat = self._emu.state.known_chat(self._last_chat_id)
        if chat is None:
            return []
        ids: list[int] = []
        for call in self._emu.calls(since=seq, chat_id=self._last_chat_id):
            result = call.result
            if (
                call.ok
                and isinstance(result, dict)
                and isinstance(result.get("message_id"), int)
                and result["message_id"] not in ids
            ):
                ids.append(result["message_id"])
        return [m for m in (chat.find(i) for i in ids) if m is not None]

    # -- reading ---------------------------------------------------------------------------

    def messages(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        """The bot's messages in the private chat, in order, after edits."""
        return self._emu.messages(self.id, include_deleted=include_deleted)

    def last_message(self) -> ChatMessage | None:
        """The bot's latest (not deleted) message in the private chat."""
        messages = self.messages()
        return messages[-1] if messages else None

    def keyboard(self) -> list[list[str]]:
        """Rows of button texts of the latest bot message that has an inline keyboard."""
        target = self._keyboard_message(None)
        return target.buttons if target else []

    def reply_keyboard(self) -> list[list[str]]:
        """Rows of the custom reply keyboard currently shown ([] when none)."""
        chat = self._emu.state.known_chat(self.id)
        return reply_keyboard_rows(chat.reply_keyboard if chat else None)

    def callback_answers(self) -> list[CallbackAnswer]:
        """Every callback answer the bot gave this user."""
        return self._emu.callback_answers(self.id)

    def last_callback_answer(self) -> CallbackAnswer | None:
        """The latest callback answer (toast/alert) the bot gave this user."""
        answers = self.callback_answers()
        return answers[-1] if answers else None

    def chat_actions(self) -> list[str]:
        """The chat actions ("typing", "upload_photo" ...) sent to the private chat."""
        chat = self._emu.state.known_chat(self.id)
        return [a.action for a in chat.actions] if chat else []

    def transcript(self) -> str:
        """The private chat as readable lines: "Bot: ...", "Siti: ...", buttons as [Ya] [Tidak]."""
        return self._emu.transcript(self.id)

    # -- internals -------------------------------------------------------------------------

    def _names(self) -> dict[int, str]:
        return {
            user_id: str(profile.get("first_name", user_id))
            for user_id, profile in self._emu.state.users.items()
        }

    def _chat_state(self, chat: JsonDict) -> ChatState:
        return self._emu.state.ensure_chat(chat)

    def _act(self, chat_id: int, update: JsonDict) -> JsonDict:
        self._mark = self._emu.last_seq
        self._last_chat_id = chat_id
        return self._emu.enqueue_update(update)

    def _send_in(
        self,
        chat: JsonDict,
        *,
        reply_to: ChatMessage | int | None = None,
        text: str | None = None,
        **fields: Any,
    ) -> ChatMessage:
        state = self._chat_state(chat)
        message = ChatMessage(
            chat=dict(chat),
            message_id=state.next_message_id(),
            from_user=dict(self.profile),
            from_bot=False,
            date=int(time.time()),
            text=text,
            entities=command_entities(text) if text is not None else [],
            **fields,
        )
        if reply_to is not None:
            message.reply_to_message_id = (
                reply_to.message_id if isinstance(reply_to, ChatMessage) else reply_to
            )
        state.messages.append(message)
        state.timeline.append(("message", message))
        payload = message.to_api()
        if message.reply_to_message_id is not None:
            original = state.find(message.reply_to_message_id)
            if original is not None:
                payload["reply_to_message"] = original.to_api()
        self._act(message.chat_id, {"message": payload})
        return message

    def _own_message(self, message: ChatMessage | int) -> ChatMessage:
        if isinstance(message, ChatMessage):
            return message
        found = self._chat_state(self.chat).find(message)
        if found is None or found.from_bot:
            raise AssertionError(f"{self.first_name} has no message {message}")
        return found

    def _member_change(self, old: str, new: str) -> JsonDict:
        bot = dict(self._emu.state.bot_user)
        new_member: JsonDict = {"user": bot, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: JsonDict = {"user": bot, "status": old}
        if old == "kicked":
            old_member["until_date"] = 0
        return {
            "chat": self.chat,
            "from": dict(self.profile),
            "date": int(time.time()),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }

    def _keyboard_message(self, message: ChatMessage | int | None) -> ChatMessage | None:
        if isinstance(message, ChatMessage):
            return message
        chat = self._emu.state.known_chat(self.id)
        if chat is None:
            return None
        if isinstance(message, int):
            found = chat.find(message)
            if found is None:
                raise AssertionError(f"there is no message {message} in {self.first_name}'s chat")
            return found
        for candidate in reversed(chat.messages):
            if candidate.from_bot and not candidate.deleted and candidate.buttons:
                return candidate
        return None

    def _callback(
        self,
        chat: JsonDict,
        target: ChatMessage | None,
        data: str,
        label: str,
        message_payload: JsonDict | None = None,
    ) -> CallbackQueryRecord:
        record = CallbackQueryRecord(
            query_id=self._emu.state.new_query_id(),
            user_id=self.id,
            chat_id=int(chat["id"]),
            message_id=target.message_id if target else int((message_payload or {})["message_id"]),
            data=data,
        )
        self._emu.state.queries[record.query_id] = record
        self._chat_state(chat).timeline.append(("tap", f"{self.first_name}: (ketuk) [{label}]"))
        query: JsonDict = {
            "id": record.query_id,
            "from": dict(self.profile),
            "message": target.to_api() if target else message_payload,
            "chat_instance": str(abs(int(chat["id"])) * 7 + 1),
            "data": data,
        }
        self._act(record.chat_id, {"callback_query": query})
        return record

    def _is_reaction(self, call: ApiCall) -> bool:
        return (
            call.ok
            and call.chat_id == self._last_chat_id
            and not is_transport(call.method)
            and call.method.lower() not in _NOT_A_REACTION
        )

    def _no_button(self, label: str, target: ChatMessage | None) -> str:
        if target is None:
            return (
                f"{self.first_name} cannot tap {label!r}: no bot message has an inline keyboard."
                f"\n--- transcript ---\n{self.transcript()}"
            )
        rows = " / ".join(" ".join(f"[{text}]" for text in row) for row in target.buttons)
        return (
            f"{self.first_name} cannot tap {label!r}: message {target.message_id} has the "
            f"buttons {rows}\n--- message ---\n" + "\n".join(render_message(target, self._names()))
        )

    def _no_reply(self, timeout: float, mark: int) -> str:
        calls = [
            f"  {c.method} -> {c.status or 'running'} {c.description or ''}".rstrip()
            for c in self._emu.calls(since=mark)
        ]
        tail = "\n".join(self.transcript().splitlines()[-12:])
        return (
            f"the bot did not reply to {self.first_name} within {timeout}s.\n"
            f"calls since the action:\n{chr(10).join(calls) or '  (none)'}\n"
            f"--- transcript (end) ---\n{tail}"
        )
