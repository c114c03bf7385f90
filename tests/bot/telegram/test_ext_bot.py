"""An update PTB cannot parse is skipped without stopping the batch (or the offset)."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from bot.emulator import DEFAULT_TOKEN
from bot.labelled_bot import labelled
from bot.settings import Settings
from bot.telegram.ext_bot import IkkBot, readable_updates


def test_unreadable_updates_become_bare_ids_and_the_rest_is_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = IkkBot(DEFAULT_TOKEN)
    good = {"update_id": 3, "message": {"message_id": 1, "date": 0,
                                        "chat": {"id": 5, "type": "private"}, "text": "hi"}}
    raw = [{"update_id": 1, "message": "bukan pesan"}, {"update_id": None, "raw": 7}, "x", good]

    with caplog.at_level(logging.WARNING, logger="bot.telegram.ext_bot"):
        kept = readable_updates(bot, raw)

    assert kept == [{"update_id": 1}, good]
    assert "update 1 could not be read" in caplog.text


# ------------------------------------------------------------------- the demo's label

LABEL = "🧪 DATA SINTETIS: demo ikk-bot, bukan data nyata"


def test_a_label_is_the_last_line_of_the_text_once() -> None:
    sent = labelled("Pertanyaan 4\n\nApakah ada pasangan?", LABEL, 4096)
    assert sent == f"Pertanyaan 4\n\nApakah ada pasangan?\n\n{LABEL}"
    # An edit built on the text sent before ("… ✔️ Ya") keeps one label, at the end.
    edited = labelled(sent + "\n\n✔️ Ya", LABEL, 4096)
    assert edited == f"Pertanyaan 4\n\nApakah ada pasangan?\n\n✔️ Ya\n\n{LABEL}"
    assert labelled("", LABEL, 1024) == LABEL


def test_a_text_too_long_for_its_label_is_shortened_within_telegrams_limit() -> None:
    sent = labelled("x" * 4096, LABEL, 4096)
    assert len(sent) == 4096 and sent.endswith(f"…\n\n{LABEL}")


async def test_every_text_and_caption_the_labelled_bot_sends_ends_with_the_label() -> None:
    sent: list[tuple[str, dict[str, object]]] = []

    class Recording(IkkBot):
        async def _do_post(self, endpoint: str, data: dict[str, object], **_: object) -> object:
            sent.append((endpoint, data))
            return True

    bot = Recording(DEFAULT_TOKEN, label=LABEL)
    plain = Recording(DEFAULT_TOKEN)
    await bot._post("sendMessage", {"chat_id": 1, "text": "Halo"})
    await bot._post("sendPhoto", {"chat_id": 1, "caption": "IKK"})
    await bot._post("sendDocument", {"chat_id": 1})
    await bot._post("editMessageText", {"chat_id": 1, "message_id": 2, "text": f"A\n\n{LABEL}"})
    await bot._post("answerCallbackQuery", {"callback_query_id": "q", "text": "Tersimpan"})
    await plain._post("sendMessage", {"chat_id": 1, "text": "Halo"})
    assert [d.get("text", d.get("caption")) for _, d in sent] == [
        f"Halo\n\n{LABEL}", f"IKK\n\n{LABEL}", LABEL, f"A\n\n{LABEL}", "Tersimpan", "Halo",
    ]


def test_a_demo_label_with_markup_characters_is_refused() -> None:
    with pytest.raises(ValidationError, match="DEMO_LABEL"):
        Settings(_env_file=None, demo_label="<b>DATA</b>")  # type: ignore[call-arg]
