"""A `telegram.Bot` that signs every text and caption it sends with a label.

`ikk-bot demo` sets `Settings.demo_label` ("🧪 DATA SINTETIS: …"); the application's bot and
the alert broadcaster both end every message and caption they send or edit with it, whichever
handler made the text. The production texts stay free of demo wording, and no message of a
demo chat can pass for real data. Without a label nothing changes. (A module of its own, outside
`bot.telegram`, because the alert broadcaster imports it and `bot.telegram` imports the alerts.)
"""

from __future__ import annotations

from typing import Any, Final

from telegram import Bot
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput

__all__ = ["LabelledBot", "labelled"]

MAX_TEXT: Final = 4096
MAX_CAPTION: Final = 1024
_LABELLED_FIELDS: Final[dict[str, tuple[str, int]]] = {
    "sendMessage": ("text", MAX_TEXT),
    "editMessageText": ("text", MAX_TEXT),
    "sendPhoto": ("caption", MAX_CAPTION),
    "sendDocument": ("caption", MAX_CAPTION),
    "editMessageCaption": ("caption", MAX_CAPTION),
}
"""Where each sending method carries the words a user reads, and Telegram's limit for them."""


def labelled(text: str, label: str, limit: int) -> str:
    """`text` with `label` as its last line (once: an edit that builds on the text sent
    before carries the label already), shortened with "…" when both would not fit."""
    footer = f"\n\n{label}"
    text = text.replace(footer, "").replace(label, "").rstrip()
    footer = footer if text else label
    if len(text) + len(footer) > limit:
        text = text[: max(0, limit - len(footer) - 1)].rstrip() + "…"
    return text + footer



class LabelledBot(Bot):
    """A `Bot` that ends every text and caption it sends or edits with `label`, when one is
    set (the alert broadcaster uses a plain `Bot`; the application uses `IkkBot`)."""

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():  # PTB freezes the bot at the end of its __init__
            self._label = label

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
        if self._label and endpoint in _LABELLED_FIELDS:
            name, limit = _LABELLED_FIELDS[endpoint]
            data = dict(data or {})
            if api_kwargs and name in api_kwargs:  # PTB merges these into data later
                data[name], api_kwargs = api_kwargs[name], {
                    k: v for k, v in api_kwargs.items() if k != name
                }
            current = data.get(name)
            data[name] = labelled(current if isinstance(current, str) else "", self._label, limit)
        return await super()._post(
            endpoint,
            data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
