"""The questionnaire over real HTTP: the spec's worked example entered by a kader, back, edit,
review, submit, resume after a restart, lists, and the duplicate-family prompt."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.db.models import AnswerChange, Family, Response, ResponseStatus
from bot.emulator import ChatMessage, EmulatedUser
from tests.e2e.conftest import SEPAPAH, SUNGAI_BETUNG, BotHarness, stored_answers
from tests.e2e.kader_steps import (
    EXPECTED_SCORES,
    FAMILY_A,
    FAMILY_B,
    FAMILY_C,
    act,
    answer_until,
    current_question,
    edit_label,
    give,
    next_screen,
    question_on,
)


async def stored_scores(harness: BotHarness) -> dict[str, float | None]:
    async with harness.database.session_factory() as session:
        rows = await session.execute(
            select(Family.head_name, Response.family_score_pct, Response.status).join(
                Response, Response.family_id == Family.id
            )
        )
        return {
            head: score
            for head, score, status in rows.all()
            if status is ResponseStatus.SUBMITTED
        }


async def test_the_worked_example_families_entered_by_a_kader_score_as_the_spec_says(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    for family in (FAMILY_A, FAMILY_B, FAMILY_C):
        if family is FAMILY_A:
            await act(harness, siti, siti.send("/survei"))
        else:
            await act(harness, siti, siti.tap("➕ Keluarga berikutnya"))
        await answer_until(harness, siti, family)
        await act(harness, siti, siti.tap("✅ Kirim"))
        assert "sudah dikirim" in (siti.last_message().text or "")  # type: ignore[union-attr]

    scores = await stored_scores(harness)
    assert scores.keys() == EXPECTED_SCORES.keys()
    for head, expected in EXPECTED_SCORES.items():
        assert scores[head] == pytest.approx(expected)
    texts = [m.text or "" for m in siti.messages()]
    assert any("Skor keluarga: 100,00 (Baik)" in t for t in texts)
    assert any("Skor keluarga: 80,77 (Baik)" in t for t in texts)
    assert any("Skor keluarga: 80,95 (Baik)" in t for t in texts)


async def wait_answered(harness: BotHarness, since: int) -> None:
    """Wait for the bot's callback answer after call `since`, then for it to go quiet."""
    await harness.emulator.wait_for_call("answerCallbackQuery", since=since)
    await harness.emulator.wait_idle(quiet=0.05)


def data_of(message: ChatMessage, label: str) -> str:
    for texts_row, data_row in zip(message.buttons, message.button_data, strict=True):
        for text, data in zip(texts_row, data_row, strict=True):
            if text == label and data is not None:
                return data
    raise AssertionError(f"no button {label!r} on message {message.message_id}")


async def started(harness: BotHarness, user_id: int = 1001) -> EmulatedUser:
    siti = await harness.kader(user_id)
    await act(harness, siti, siti.send("/survei"))
    return siti


async def test_after_a_restart_the_next_message_continues_at_the_same_question(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    asked = await answer_until(harness, siti, FAMILY_B, stop_before="P_PENDAPATAN")
    await harness.restart()  # a new Application on the same database: nothing in memory
    asked += await answer_until(harness, siti, FAMILY_B, stop_before="KF1")
    await harness.restart()
    asked += await answer_until(harness, siti, FAMILY_B)  # taps the keyboard the old bot sent

    assert len(asked) == len(set(asked)), "a question was asked twice"
    assert set(await stored_answers(harness)) == set(asked), "an answer was lost"
    assert "Ringkasan jawaban" in (siti.last_message().text or "")  # type: ignore[union-attr]


async def test_a_double_tap_is_answered_already_recorded_and_does_not_move_on(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    question = siti.last_message()
    assert question is not None
    ya = data_of(question, "Ya")
    await give(harness, siti, "P_PASANGAN", "Ya")
    shown = len(siti.messages())
    before = await stored_answers(harness)

    mark = emu.last_seq
    await siti.tap_data(question.message_id, ya)  # the second tap of a double tap
    await wait_answered(harness, mark)

    assert siti.last_callback_answer().text == "Sudah tercatat."  # type: ignore[union-attr]
    assert len(siti.messages()) == shown
    assert current_question(siti) == "P_ANAK"
    assert await stored_answers(harness) == before


async def test_a_tap_on_an_older_question_is_answered_and_the_current_question_shown_again(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    old = siti.last_message()
    assert old is not None
    tidak = data_of(old, "Tidak")
    await give(harness, siti, "P_PASANGAN", "Ya")

    mark = emu.last_seq
    await siti.tap_data(old.message_id, tidak)
    await next_screen(harness, siti, mark)

    assert "tidak berlaku" in (siti.last_callback_answer().text or "")  # type: ignore[union-attr]
    assert current_question(siti) == "P_ANAK"
    assert (await stored_answers(harness))["P_PASANGAN"] == "ya"
    live = [m for m in siti.messages() if m.buttons]
    assert len(live) == 1, "only the current question keeps a keyboard"


async def test_a_tap_on_another_familys_keyboard_is_answered_and_the_current_question_shown(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    first_family = siti.last_message()
    assert first_family is not None
    ya = data_of(first_family, "Ya")
    await act(harness, siti, siti.send("/survei"))  # a second family, first one left as a draft
    assert current_question(siti) == "H_KEPALA"
    assert not first_family.buttons, "the first family's keyboard was removed"

    mark = emu.last_seq
    await siti.tap_data(first_family.message_id, ya)
    await next_screen(harness, siti, mark)

    assert "keluarga lain" in (siti.last_callback_answer().text or "")  # type: ignore[union-attr]
    assert current_question(siti) == "H_KEPALA"
    assert "P_PASANGAN" not in await stored_answers(harness)


async def test_a_tap_on_a_submitted_familys_keyboard_says_it_was_sent(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="KSB5")
    old = siti.last_message()
    assert old is not None
    ya = data_of(old, "Ya")
    await answer_until(harness, siti, FAMILY_A)
    await act(harness, siti, siti.tap("✅ Kirim"))

    mark = emu.last_seq
    await siti.tap_data(old.message_id, ya)  # would change KSB5: must not count
    await next_screen(harness, siti, mark)

    assert siti.last_callback_answer() is not None
    assert "sudah dikirim" in (siti.last_message().text or "")  # type: ignore[union-attr]
    assert (await stored_answers(harness))["KSB5"] == "tidak"
    assert (await stored_scores(harness))["Ahmad Fauzi"] == pytest.approx(100.0)


async def test_a_redelivered_update_does_nothing_twice(harness: BotHarness) -> None:
    emu = harness.emulator
    siti = await started(harness)
    await give(harness, siti, "H_KEPALA", "Ahmad Fauzi")
    typed = max(emu.updates.issued)
    await give(harness, siti, "H_RT", "1")
    await give(harness, siti, "H_ANGGOTA", "2")
    await give(harness, siti, "P_PASANGAN", "Ya")
    tapped = max(emu.updates.issued)
    shown = len(siti.messages())
    before = await stored_answers(harness)

    emu.redeliver(typed)
    emu.redeliver(tapped)
    await harness.settle()

    assert len(siti.messages()) == shown
    assert await stored_answers(harness) == before
    assert current_question(siti) == "P_ANAK"


async def test_back_skips_the_questions_that_do_not_apply(harness: BotHarness) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_LANSIA")  # no children

    await act(harness, siti, siti.tap("⬅️ Kembali"))
    assert current_question(siti) == "P_ANAK"  # P_BALITA..P_SEKOLAH were never asked
    assert "Jawaban sekarang: Tidak" in (siti.last_message().text or "")  # type: ignore[union-attr]
    await give(harness, siti, "P_ANAK", "Tidak")
    assert current_question(siti) == "P_LANSIA"

    await answer_until(harness, siti, FAMILY_A, stop_before="LS3")
    await act(harness, siti, siti.tap("⬅️ Kembali"))
    assert current_question(siti) == "LS1"  # LS2 (children) does not apply


async def test_changing_a_profile_answer_clears_the_answers_it_made_irrelevant(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_B)
    child_questions = {"P_BALITA", "P_BADUTA", "P_LAHIR2", "P_SEKOLAH", "LS2", "KF2", "KF4",
                       "KE4", "KE5", "KE8", "KSP2", "KSB6"}
    assert child_questions <= set(await stored_answers(harness))

    await act(harness, siti, siti.tap(edit_label(siti.last_message(), "P_ANAK")))
    assert current_question(siti) == "P_ANAK"
    await give(harness, siti, "P_ANAK", "Tidak")

    card = siti.last_message()
    assert card is not None
    assert "dihapus karena tidak berlaku lagi" in (card.text or "")
    assert "Ringkasan jawaban" in (card.text or "")
    assert not child_questions & set(await stored_answers(harness))


async def test_the_review_cards_edit_buttons_change_one_answer_and_return_to_the_card(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A)
    kf1 = edit_label(siti.last_message(), "KF1").removeprefix("Ubah ")
    await act(harness, siti, siti.tap(f"Ubah {kf1}"))
    assert current_question(siti) == "KF1"
    assert "Jawaban sekarang: Ya" in (siti.last_message().text or "")  # type: ignore[union-attr]
    await give(harness, siti, "KF1", "Tidak")

    card = siti.last_message()
    assert card is not None and "Ringkasan jawaban" in (card.text or "")
    assert f"{kf1}. " in (card.text or "")
    assert (await stored_answers(harness))["KF1"] == "tidak"
    await act(harness, siti, siti.tap("✅ Kirim"))
    # 18 applicable, KF1 no longer met: 17/18.
    assert (await stored_scores(harness))["Ahmad Fauzi"] == pytest.approx(1700 / 18)


async def enter_family_a_again(harness: BotHarness) -> EmulatedUser:
    """Family A submitted, then a new family with the same head (written differently) and RT."""
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A)
    await act(harness, siti, siti.tap("✅ Kirim"))
    await act(harness, siti, siti.tap("➕ Keluarga berikutnya"))
    await give(harness, siti, "H_KEPALA", "bapak AHMAD fauzi")
    await give(harness, siti, "H_RT", "1")
    return siti


async def family_heads(harness: BotHarness) -> list[str]:
    async with harness.database.session_factory() as session:
        return list((await session.scalars(select(Family.head_name).order_by(Family.id))).all())


async def test_a_family_entered_twice_is_caught_when_name_and_rt_are_known(
    harness: BotHarness,
) -> None:
    siti = await enter_family_a_again(harness)

    prompt = siti.last_message()
    assert prompt is not None and "sudah pernah Anda data" in (prompt.text or "")
    assert prompt.buttons == [["📂 Buka data yang sudah ada"], ["➡️ Lanjut, ini keluarga lain"]]

    await act(harness, siti, siti.tap("➡️ Lanjut, ini keluarga lain"))
    assert current_question(siti) == "H_ANGGOTA"
    assert await family_heads(harness) == ["Ahmad Fauzi", "bapak AHMAD fauzi"]


async def test_opening_the_existing_family_discards_the_new_draft(harness: BotHarness) -> None:
    siti = await enter_family_a_again(harness)

    await act(harness, siti, siti.tap("📂 Buka data yang sudah ada"))

    shown = siti.last_message()
    assert shown is not None and "Ahmad Fauzi · RT 1" in (shown.text or "")
    assert "Skor keluarga: 100,00" in (shown.text or "")
    assert await family_heads(harness) == ["Ahmad Fauzi"]


async def test_the_village_is_asked_first_when_the_kader_has_more_than_one(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001, villages=(SEPAPAH, SUNGAI_BETUNG))
    await act(harness, siti, siti.send("/survei"))
    assert siti.keyboard() == [["Desa Sepapah"], ["Desa Sungai Betung"]]

    await act(harness, siti, siti.tap("Desa Sungai Betung"))
    assert current_question(siti) == "H_KEPALA"
    assert "Desa Sungai Betung" in (siti.last_message().text or "")  # type: ignore[union-attr]
    async with harness.database.session_factory() as session:
        villages = (await session.scalars(select(Family.village_code))).all()
    assert villages == [SUNGAI_BETUNG]


async def test_a_value_outside_the_constraint_repeats_the_question_with_the_reason(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    await give(harness, siti, "H_KEPALA", "Ahmad Fauzi")
    await give(harness, siti, "H_RT", "0")

    assert current_question(siti) == "H_RT"
    assert "Ketik nomor RT saja, misalnya 3." in (siti.last_message().text or "")  # type: ignore[union-attr]
    await give(harness, siti, "H_RT", "tujuh")
    assert current_question(siti) == "H_RT"
    await give(harness, siti, "H_RT", "7")
    assert current_question(siti) == "H_ANGGOTA"


async def test_an_unusual_value_asks_yakin_before_it_is_stored(harness: BotHarness) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="H_ANGGOTA")
    await give(harness, siti, "H_ANGGOTA", "16")
    ask = siti.last_message()
    assert ask is not None and (ask.text or "").startswith("Yakin?")
    assert ask.buttons == [["Ya, benar", "Ubah"]]
    assert "H_ANGGOTA" not in await stored_answers(harness)

    await act(harness, siti, siti.tap("Ubah"))
    assert current_question(siti) == "H_ANGGOTA"
    await give(harness, siti, "H_ANGGOTA", "17")
    await act(harness, siti, siti.tap("Ya, benar"))
    assert current_question(siti) == "P_PASANGAN"
    assert (await stored_answers(harness))["H_ANGGOTA"] == "17"


async def test_a_typed_ya_is_accepted_where_buttons_are_shown(harness: BotHarness) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    await act(harness, siti, siti.send("ya"))
    assert current_question(siti) == "P_ANAK"
    assert (await stored_answers(harness))["P_PASANGAN"] == "ya"


async def test_a_tapped_answer_turns_the_live_card_into_the_next_question_headed_by_it(
    harness: BotHarness,
) -> None:
    emu = harness.emulator
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_PASANGAN")
    card = siti.last_message()
    assert card is not None

    await give(harness, siti, "P_PASANGAN", "Ya")

    now = siti.last_message()
    assert now is not None and now.message_id == card.message_id, "edited, not a new message"
    assert now.visible_text.startswith("✔️ Ada pasangan: Ya"), now.visible_text
    assert question_on(now) not in (None, "P_PASANGAN")
    await answer_until(harness, siti, FAMILY_A, stop_before="LS1")
    await emu.wait_idle(quiet=0.05)
    with_keyboard = [m for m in siti.messages() if m.buttons]
    assert with_keyboard == [siti.last_message()], "one live keyboard in the chat"


async def test_lanjut_lists_the_drafts_and_opens_the_one_chosen(harness: BotHarness) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_ANAK")
    await act(harness, siti, siti.send("/survei"))
    await answer_until(harness, siti, FAMILY_C, stop_before="H_ANGGOTA")

    await act(harness, siti, siti.send("/lanjut"))
    listing = siti.last_message()
    assert listing is not None
    assert "Ahmad Fauzi · RT 1 · Desa Sepapah · Kemajuan 4 dari sekitar " in (listing.text or "")
    assert "Citra Lestari · RT 3 · Desa Sepapah · Kemajuan 2 dari sekitar " in (
        listing.text or ""
    )
    ahmad = next(label for row in listing.buttons for label in row if "Ahmad" in label)

    await act(harness, siti, siti.tap(ahmad))
    assert current_question(siti) == "P_ANAK"
    await act(harness, siti, siti.send("ya"))  # typed text goes to the family just opened
    assert current_question(siti) == "P_BALITA"


async def test_keluarga_opens_a_submitted_family_to_change_an_answer_audited_and_rescored(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A)
    await act(harness, siti, siti.tap("✅ Kirim"))

    await act(harness, siti, siti.send("/keluarga"))
    listing = siti.last_message()
    assert listing is not None and "Ahmad Fauzi · RT 1 · Desa Sepapah · skor 100,00" in (
        listing.text or ""
    )
    await act(harness, siti, siti.tap(listing.buttons[0][0]))
    card = siti.last_message()
    assert card is not None and "Skor keluarga: 100,00 (Baik)" in (card.text or "")
    assert ["✅ Kirim"] not in card.buttons

    await act(harness, siti, siti.tap(edit_label(siti.last_message(), "KE6")))
    await give(harness, siti, "KE6", "Tidak")

    card = siti.last_message()
    assert card is not None and "Skor keluarga dihitung ulang: 94,44" in (card.text or "")
    assert (await stored_scores(harness))["Ahmad Fauzi"] == pytest.approx(1700 / 18)
    async with harness.database.session_factory() as session:
        changes = (await session.execute(
            select(AnswerChange.question, AnswerChange.old_value, AnswerChange.new_value)
        )).all()
    assert [tuple(c) for c in changes] == [("KE6", "ya", "tidak")]


async def test_jeda_keeps_the_draft_and_any_message_brings_back_the_question(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A, stop_before="P_ANAK")
    before = await stored_answers(harness)

    await siti.send("/jeda")
    said = (await siti.wait_reply())[-1].text or ""
    assert "jeda dulu" in said and "/lanjut" in said and "Ahmad Fauzi" in said
    await siti.send("/batal")  # the command's old name still pauses
    assert (await siti.wait_reply())[-1].text == said
    assert not [m for m in siti.messages() if m.buttons]
    assert await stored_answers(harness) == before

    await act(harness, siti, siti.send("halo"))
    assert current_question(siti) == "P_ANAK"


async def test_a_question_has_one_number_from_its_progress_line_to_the_review_card(
    harness: BotHarness,
) -> None:
    """Issue 10: "Pertanyaan N dari M" is the N of the card's line and of its "Ubah N", and M
    never grows while the kader answers (it says "sekitar" until it is known)."""
    siti = await started(harness)
    numbers: dict[str, int] = {}
    totals: list[int] = []
    about: list[bool] = []
    while (question := current_question(siti)) is not None:
        text = siti.last_message().visible_text  # type: ignore[union-attr]
        found = re.search(r"Pertanyaan (\d+) dari (sekitar )?(\d+)", text)
        assert found is not None and "±" not in text, text
        numbers[question], total = int(found[1]), int(found[3])
        totals.append(total)
        about.append(found[2] is not None)
        await give(harness, siti, question, FAMILY_B[question])

    card = siti.last_message()
    assert card is not None
    assert totals == sorted(totals, reverse=True), f"the total grew: {totals}"
    assert totals[-1] == len(numbers) == 36
    assert about[0] and not about[-1], "sekitar until the total is known, then exact"
    for question, number in numbers.items():
        assert edit_label(card, question) == f"Ubah {number}"
        assert re.search(rf"^{number}\. ", card.visible_text, re.MULTILINE), question

    await act(harness, siti, siti.tap(f"Ubah {numbers['P_ANAK']}"))
    assert current_question(siti) == "P_ANAK"
    assert f"Pertanyaan {numbers['P_ANAK']} dari " in (siti.last_message().text or "")  # type: ignore[union-attr]


async def test_typing_the_number_shown_on_the_review_card_opens_that_question(
    harness: BotHarness,
) -> None:
    siti = await started(harness)
    await answer_until(harness, siti, FAMILY_A)
    number = edit_label(siti.last_message(), "P_ANAK").removeprefix("Ubah ")

    await act(harness, siti, siti.send("99"))  # no such number: the card again, with why
    card = siti.last_message()
    assert card is not None and "Ringkasan jawaban" in (card.text or "")
    assert "Semua pertanyaan sudah dijawab" in (card.text or "")

    await act(harness, siti, siti.send(number))
    assert current_question(siti) == "P_ANAK"
    assert f"Pertanyaan {number} dari " in (siti.last_message().text or "")  # type: ignore[union-attr]


async def test_jeda_without_a_family_in_progress_says_how_to_start_or_continue(
    harness: BotHarness,
) -> None:
    siti = await harness.kader(1001)
    for command in ("/jeda", "/batal"):
        await siti.send(command)
        said = (await siti.wait_reply())[-1].text or ""
        assert "tidak mendata keluarga" in said and "/survei" in said and "/lanjut" in said
