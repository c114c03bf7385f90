"""The PTB bot class the application uses: `ExtBot` that skips updates it cannot read, and
that can sign every message it sends with a label (the demo's "DATA SINTETIS").

PTB parses a whole `getUpdates` batch at once; one update it cannot parse makes the batch fail,
the Updater retries the same offset, and polling is stuck on that update for good. Here each
update of a batch is checked first; one that does not parse is logged and replaced by a bare
``{"update_id": N}``, so the offset still moves past it and the rest of the batch is handled.

With a `label` (`Settings.demo_label`, set only by `ikk-bot demo`) every text and caption the
bot sends or edits ends with that line (`bot.labelled_bot`).

In webhook mode the answer to a button tap leaves with the webhook's HTTP response when the
server holds a slot for it (`webhook_replies`, `bot.telegram.webhook_replies`), not as a call.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.ext import ExtBot

from bot.labelled_bot import LabelledBot
from bot.telegram.webhook_replies import WebhookReplies

__all__ = ["IkkBot", "readable_updates"]

log = logging.getLogger(__name__)

def readable_updates(bot: ExtBot[Any], raw: list[Any]) -> list[Any]:
    """`raw` with every update PTB cannot parse replaced by its bare id (or dropped if it has
    no usable id)."""
    kept: list[Any] = []
    for item in raw:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        has_id = isinstance(update_id, int) and not isinstance(update_id, bool)
        try:
            if not has_id:
                raise ValueError("no integer update_id")
            Update.de_json(item, bot)
        except Exception as error:
            log.warning(
                "update %s could not be read (%s); skipped", update_id, type(error).__name__
            )
            if has_id:
                kept.append({"update_id": update_id})
            continue
        kept.append(item)
    return kept


class IkkBot(LabelledBot, ExtBot[int]):
    """`ExtBot` whose `getUpdates` never gets stuck on an unreadable update, which ends
    every text and caption with `label` when one is set, and which answers a tap inside the
    webhook's response when the webhook server holds a slot for it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():  # PTB freezes the bot at the end of its __init__
            self.webhook_replies = WebhookReplies()

    async def _post(
        self,
        endpoint: str,
        data: JSONDict | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> Any:
        if not api_kwargs and data is not None and self.webhook_replies.offer(endpoint, data):
            return True  # answerCallbackQuery's result, which Telegram gives for a carried-out call
        result = await super()._post(
            endpoint,
            data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        if endpoint == "getUpdates" and isinstance(result, list):
            return readable_updates(self, result)
        return result
