"""The Bot API methods the IKK bot uses, implemented strictly against the emulator's state.

Each method takes decoded :class:`ApiParams` and returns the ``result`` of the success envelope,
or raises :class:`ApiError` with Telegram's status and description.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.errors import (
    BOT_BLOCKED,
    CHAT_NOT_FOUND,
    MESSAGE_NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    bad_request,
    forbidden,
    not_found,
)
from bot.emulator.files import UploadedFile
from bot.emulator.formatting import FormattedText, check_caption, check_text, parse_text
from bot.emulator.markup import inline_part, validate_reply_markup
from bot.emulator.params import ApiParams
from bot.emulator.state import (
    CallbackAnswer,
    ChatAction,
    ChatMessage,
    ChatState,
    EmulatorState,
    JsonDict,
)
from bot.emulator.updates import UpdateQueue
from bot.emulator.webhook import WebhookConfig, WebhookSender

Method = Callable[[ApiParams], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
MAX_ANSWER_TEXT = 200
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_COMMANDS = 100

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)


def scope_key(scope: Any) -> str:
    """A canonical text form of a ``BotCommandScope`` (the key commands are stored under)."""
    if scope is None:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


class BotApi:
    """Dispatches a method name to its implementation."""

    def __init__(self, state: EmulatorState, queue: UpdateQueue, webhook: WebhookSender) -> None:
        self._state = state
        self._queue = queue
        self._webhook = webhook
        self._methods: dict[str, Method] = {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "getfile": self._get_file,
            "getchat": self._get_chat,
        }

    @property
    def method_names(self) -> frozenset[str]:
        """Lower-cased names of the implemented methods."""
        return frozenset(self._methods)

    async def call(self, method: str, params: ApiParams) -> Any:
        """Run one method (names are case-insensitive, as in Telegram)."""
        implementation = self._methods.get(method.lower())
        if implementation is None:
            raise not_found()
        return await implementation(params)

    # -- helpers ---------------------------------------------------------------------------

    def _chat(self, params: ApiParams) -> ChatState:
        chat_id = params.chat_id()
        chat = self._state.known_chat(chat_id)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        if chat.chat.get("type") == "private" and chat_id in self._state.blocked:
            raise forbidden(BOT_BLOCKED)
        return chat

    def _bot_message(self, chat: ChatState, **fields: Any) -> ChatMessage:
        message = ChatMessage(
            chat=dict(chat.chat),
            message_id=chat.next_message_id(),
            from_user=dict(self._state.bot_user),
            from_bot=True,
            date=int(time.time()),
            **fields,
        )
        chat.messages.append(message)
        chat.timeline.append(("message", message))
        return message

    @staticmethod
    def _formatted(params: ApiParams, name: str, entities_name: str) -> FormattedText:
        entities = params.structured(entities_name)
        return parse_text(
            params.text(name) or "",
            params.text("parse_mode"),
            entities if isinstance(entities, list) else None,
        )

    @staticmethod
    def _markup(params: ApiParams, chat: ChatState) -> JsonDict | None:
        markup = validate_reply_markup(params.structured("reply_markup"))
        if markup and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        return inline_part(markup)

    @staticmethod
    def _reply_to(params: ApiParams) -> int | None:
        reply = params.structured("reply_parameters")
        if isinstance(reply, dict) and isinstance(reply.get("message_id"), int):
            return int(reply["message_id"])
        return params.integer("reply_to_message_id")

    def _editable(self, params: ApiParams) -> tuple[ChatState, ChatMessage]:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message = chat.find(params.require_int("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    @staticmethod
    def _edit_markup(params: ApiParams) -> JsonDict | None:
        markup = validate_reply_markup(params.structured("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return inline_part(markup)

    @staticmethod
    def _mark_edited(message: ChatMessage) -> None:
        message.edit_date = int(time.time())
        message.edit_count += 1

    def _upload(self, params: ApiParams, name: str, kind: str, limit: int) -> UploadedFile:
        upload = params.files.get(name)
        if upload is None:
            reference = params.text(name) or ""
            if reference.startswith("attach://"):
                upload = params.files.get(reference.removeprefix("attach://"))
            else:
                known = self._state.files.get(reference)
                if known is not None:
                    return known
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
        if not upload.data:
            raise bad_request("file must be non-empty")
        if upload.size > limit:
            raise bad_request("file is too big")
        return self._state.files.add(upload, kind)

    # -- identity and lifecycle ------------------------------------------------------------

    async def _get_me(self, params: ApiParams) -> JsonDict:
        return dict(self._state.bot_user)

    async def _true(self, params: ApiParams) -> bool:
        return True

    async def _get_chat(self, params: ApiParams) -> JsonDict:
        chat = self._state.known_chat(params.chat_id())
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        return {**chat.chat, "accent_color_id": 0, "max_reaction_count": 11}

    # -- updates ---------------------------------------------------------------------------

    async def _get_updates(self, params: ApiParams) -> list[JsonDict]:
        if self._webhook.config is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        allowed = params.structured("allowed_updates")
        self._queue.set_allowed(allowed if isinstance(allowed, list) else None)
        return await self._queue.get_updates(
            params.integer("offset"),
            params.integer("limit", 100) or 100,
            params.number("timeout", 0.0) or 0.0,
        )

    async def _set_webhook(self, params: ApiParams) -> bool:
        url = params.text("url") or ""
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.text("secret_token")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.integer("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.structured("allowed_updates")
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        self._queue.set_allowed(allowed if isinstance(allowed, list) else None)
        self._webhook.set(
            WebhookConfig(
                url=url,
                secret_token=secret,
                max_connections=max_connections,
                allowed_updates=tuple(allowed) if isinstance(allowed, list) else None,
                ip_address=params.text("ip_address"),
            )
        )
        return True

    async def _delete_webhook(self, params: ApiParams) -> bool:
        if params.flag("drop_pending_updates"):
            self._queue.clear()
        await self._webhook.delete()
        return True

    async def _get_webhook_info(self, params: ApiParams) -> JsonDict:
        config = self._webhook.config
        info: JsonDict = {
            "url": config.url if config else "",
            "has_custom_certificate": False,
            "pending_update_count": self._queue.pending,
        }
        if config is not None:
            info["max_connections"] = config.max_connections
            if config.allowed_updates is not None:
                info["allowed_updates"] = list(config.allowed_updates)
            if config.ip_address:
                info["ip_address"] = config.ip_address
        if self._webhook.last_error_date is not None:
            info["last_error_date"] = self._webhook.last_error_date
            info["last_error_message"] = self._webhook.last_error_message
        return info

    # -- messages --------------------------------------------------------------------------

    async def _send_message(self, params: ApiParams) -> JsonDict:
        chat = self._chat(params)
        formatted = self._formatted(params, "text", "entities")
        check_text(formatted)
        markup = self._markup(params, chat)
        message = self._bot_message(
            chat,
            text=formatted.text,
            entities=formatted.entity_list(),
            source=params.text("text"),
            parse_mode=params.text("parse_mode"),
            reply_markup=markup,
            reply_to_message_id=self._reply_to(params),
        )
        return message.to_api()

    async def _edit_message_text(self, params: ApiParams) -> JsonDict:
        _, message = self._editable(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        formatted = self._formatted(params, "text", "entities")
        check_text(formatted)
        markup = self._edit_markup(params)
        new = (formatted.text, formatted.entity_list(), markup)
        if new == (message.text, message.entities, message.reply_markup):
            raise bad_request(MESSAGE_NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = new
        message.source = params.text("text")
        message.parse_mode = params.text("parse_mode")
        self._mark_edited(message)
        return message.to_api()

    async def _edit_message_caption(self, params: ApiParams) -> JsonDict:
        _, message = self._editable(params)
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        formatted = self._formatted(params, "caption", "caption_entities")
        check_caption(formatted)
        markup = self._edit_markup(params)
        caption = formatted.text or None
        new = (caption, formatted.entity_list(), markup)
        if new == (message.caption, message.caption_entities, message.reply_markup):
            raise bad_request(MESSAGE_NOT_MODIFIED)
        message.caption, message.caption_entities, message.reply_markup = new
        self._mark_edited(message)
        return message.to_api()

    async def _edit_message_reply_markup(self, params: ApiParams) -> JsonDict:
        _, message = self._editable(params)
        markup = self._edit_markup(params)
        if markup == message.reply_markup:
            raise bad_request(MESSAGE_NOT_MODIFIED)
        message.reply_markup = markup
        self._mark_edited(message)
        return message.to_api()

    async def _delete_message(self, params: ApiParams) -> bool:
        chat = self._chat(params)
        message = chat.find(params.require_int("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True

    async def _delete_messages(self, params: ApiParams) -> bool:
        chat = self._chat(params)
        ids = params.structured("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids is empty")
        for message_id in ids:
            if not isinstance(message_id, int):
                raise bad_request("invalid message_ids specified")
            message = chat.find(message_id)
            if message is not None:
                message.deleted = True
        return True

    # -- callback queries and chat actions -------------------------------------------------

    async def _answer_callback_query(self, params: ApiParams) -> bool:
        query_id = params.require_text("callback_query_id")
        record = self._state.queries.get(query_id)
        if record is None or record.answered or record.expired:
            raise bad_request(QUERY_TOO_OLD)
        text = params.text("text")
        if text is not None and len(text) > MAX_ANSWER_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        answer = CallbackAnswer(
            query_id=query_id,
            user_id=record.user_id,
            chat_id=record.chat_id,
            message_id=record.message_id,
            data=record.data,
            text=text,
            show_alert=params.flag("show_alert"),
            url=params.text("url"),
            at=time.monotonic(),
        )
        self._state.answers.append(answer)
        chat = self._state.known_chat(record.chat_id)
        if chat is not None:
            chat.timeline.append(("answer", answer))
        return True

    async def _send_chat_action(self, params: ApiParams) -> bool:
        chat = self._chat(params)
        action = params.require_text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.actions.append(ChatAction(chat.chat_id, action, time.monotonic()))
        return True

    # -- commands --------------------------------------------------------------------------

    def _scope(self, params: ApiParams) -> tuple[str, str]:
        scope = params.structured("scope")
        if scope is not None:
            if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
                raise bad_request("can't parse BotCommandScope JSON object")
            if scope["type"] in ("chat", "chat_administrators", "chat_member"):
                chat_id = scope.get("chat_id")
                if not isinstance(chat_id, int) or self._state.known_chat(chat_id) is None:
                    raise bad_request(CHAT_NOT_FOUND)
        language = params.text("language_code") or ""
        if language and not _LANGUAGE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return scope_key(scope), language

    async def _set_my_commands(self, params: ApiParams) -> bool:
        commands = params.structured("commands")
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise bad_request("can't parse commands JSON object")
        stored: list[JsonDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        key = self._scope(params)
        if stored:
            self._state.commands[key] = stored
        else:
            self._state.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: ApiParams) -> list[JsonDict]:
        return [dict(c) for c in self._state.commands.get(self._scope(params), [])]

    async def _delete_my_commands(self, params: ApiParams) -> bool:
        self._state.commands.pop(self._scope(params), None)
        return True

    # -- files -----------------------------------------------------------------------------

    async def _send_photo(self, params: ApiParams) -> JsonDict:
        chat = self._chat(params)
        formatted = self._formatted(params, "caption", "caption_entities")
        check_caption(formatted)
        markup = self._markup(params, chat)
        photo = self._upload(params, "photo", "photos", MAX_PHOTO_BYTES)
        size = photo.image_size()
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        message = self._bot_message(
            chat,
            caption=formatted.text or None,
            caption_entities=formatted.entity_list(),
            source=params.text("caption"),
            parse_mode=params.text("parse_mode"),
            reply_markup=markup,
            photo=photo,
            reply_to_message_id=self._reply_to(params),
        )
        return message.to_api()

    async def _send_document(self, params: ApiParams) -> JsonDict:
        chat = self._chat(params)
        formatted = self._formatted(params, "caption", "caption_entities")
        check_caption(formatted)
        markup = self._markup(params, chat)
        document = self._upload(params, "document", "documents", MAX_DOCUMENT_BYTES)
        message = self._bot_message(
            chat,
            caption=formatted.text or None,
            caption_entities=formatted.entity_list(),
            source=params.text("caption"),
            parse_mode=params.text("parse_mode"),
            reply_markup=markup,
            document=document,
            reply_to_message_id=self._reply_to(params),
        )
        return message.to_api()

    async def _get_file(self, params: ApiParams) -> JsonDict:
        stored = self._state.files.get(params.require_text("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }
