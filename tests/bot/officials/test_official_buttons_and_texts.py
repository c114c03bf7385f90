"""Officials' button data and the texts around the report: choices, failures, progress, invites."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.db.models import Role
from bot.repositories.invites import CreatedInvite
from bot.services.official import Answer, AreaOption
from bot.services.progress import KaderProgress, ProgressReport, VillageProgress
from bot.telegram import callback_data, official_buttons
from bot.telegram.official_buttons import PATTERN, Action, AreaButton, Source, decode, encode
from bot.telegram.official_texts import (
    PROGRESS_CAP,
    choice_message,
    invite_message,
    local_time,
    lookup_failure,
    progress_messages,
)
from ikk_core.areas import AreaLevel

SAMPANAHAN = AreaOption("63.02.12.2005", "Sampanahan", AreaLevel.DESA,
                        "Kec. Sampanahan, Kab. Kotabaru")
KECAMATAN = AreaOption("63.02.12", "Sampanahan", AreaLevel.KECAMATAN, "Kab. Kotabaru")


@pytest.mark.parametrize(
    "button",
    [
        AreaButton(Action.REPORT, Source.CHOICE, "63.02.12.2005"),
        AreaButton(Action.EXPORT, Source.MENU, "63", 2025),
        AreaButton(Action.PROGRESS, Source.MENU, "63.02.12", 2024),
        AreaButton(Action.INVITE, Source.CHOICE, "63.02.12.2001"),
        AreaButton(Action.VERIFIED, Source.CHOICE, "63.02.12", 2025),
    ],
)
def test_buttons_round_trip_in_a_few_ascii_bytes(button: AreaButton) -> None:
    data = encode(button)
    assert decode(data) == button
    assert len(data.encode("ascii")) <= 25
    assert PATTERN.match(data)


@pytest.mark.parametrize(
    "data",
    ["", "o1", "o1rc", "o1rc:", "o1xc:63", "o1rz:63", "o1rc:63.2", "o1rc:00", "o1rc:63:99",
     "o2rc:63", "o1rc:63.02.12.2005:2025:1", "1a0.0.0.0", "o1rc:63.02.12.9999", None, 42,
     "o1rc:" + "6" * 80],
)
def test_anything_else_decodes_to_none(data: object) -> None:
    assert decode(data) is None


def test_officials_and_questionnaire_buttons_never_take_each_others_data() -> None:
    ours = encode(AreaButton(Action.REPORT, Source.CHOICE, "63.02.12.2005"))
    theirs = callback_data.encode(callback_data.CallbackData(callback_data.Kind.ANSWER, 5, 3, 2, 0))
    assert callback_data.decode(ours) is None
    assert official_buttons.decode(theirs) is None
    assert PATTERN.match(theirs) is None


@given(st.text(max_size=70))
def test_decoding_arbitrary_text_never_raises(data: str) -> None:
    found = decode(data)
    assert found is None or encode(found) == data


def test_a_choice_names_level_and_parent_on_each_button() -> None:
    answer: Answer[None] = Answer("choose", "Sampanahan", options=(KECAMATAN, SAMPANAHAN))
    shown = choice_message(answer, Action.REPORT)
    assert "Ada beberapa wilayah bernama “Sampanahan”" in shown.text
    assert shown.markup is not None
    buttons = [row[0] for row in shown.markup.inline_keyboard]
    assert [b.text for b in buttons] == ["Kec. Sampanahan, Kab. Kotabaru",
                                         "Desa Sampanahan, Kec. Sampanahan"]
    assert [decode(b.callback_data) for b in buttons] == [
        AreaButton(Action.REPORT, Source.CHOICE, "63.02.12"),
        AreaButton(Action.REPORT, Source.CHOICE, "63.02.12.2005"),
    ]


def test_suggestions_say_the_name_was_not_found_and_escape_what_was_typed() -> None:
    answer: Answer[None] = Answer("suggest", "<Sepapa&>", options=(SAMPANAHAN,), period=2024)
    shown = choice_message(answer, Action.EXPORT)
    assert "“&lt;Sepapa&amp;&gt;” tidak ditemukan" in shown.text
    assert shown.markup is not None
    button = shown.markup.inline_keyboard[0][0]
    assert decode(button.callback_data) == AreaButton(Action.EXPORT, Source.CHOICE,
                                                      SAMPANAHAN.code, 2024)


@pytest.mark.parametrize(
    ("answer", "action", "expected"),
    [
        (Answer("not_found", "Xyz"), Action.REPORT, "“Xyz” tidak ditemukan di wilayah Anda"),
        (Answer("not_found", "<b>"), Action.PROGRESS, "“&lt;b&gt;” tidak ditemukan"),
        (Answer("too_long", "x" * 101), Action.REPORT, "terlalu panjang"),
        (Answer("need_name"), Action.INVITE, "/undang Sepapah"),
    ],
)
def test_failures_say_what_happened_and_how_to_ask_again(
    answer: Answer[None], action: Action, expected: str
) -> None:
    assert expected in lookup_failure(answer, action)


def test_times_are_shown_in_wita() -> None:
    moment = datetime(2025, 11, 12, 6, 5, tzinfo=UTC)
    assert local_time(moment, "Asia/Makassar") == "12 Nov 2025 14.05 WITA"
    assert local_time(moment, "Asia/Makassar", with_year=False) == "12 Nov 14.05 WITA"
    assert local_time(None, "Asia/Makassar") == "–"


def progress_report(villages: int, kader: int) -> ProgressReport:
    when = datetime(2025, 11, 12, 6, 5, tzinfo=UTC)
    return ProgressReport(
        code="63.02.12", name="Sampanahan", level=AreaLevel.KECAMATAN, period=2025,
        submitted=villages, drafts=1, last_activity=when,
        villages=tuple(
            VillageProgress(f"63.02.12.{2001 + i}", f"Desa & {i}", AreaLevel.DESA, 1, 0,
                            when if i else None)
            for i in range(villages)
        ),
        kader=tuple(
            KaderProgress(i + 1, f"Kader <{i}>", (f"63.02.12.{2001 + i}",), i, 1 if i else 0,
                          when if i else None)
            for i in range(kader)
        ),
    )


def test_progress_lists_villages_and_kader_with_last_activity_in_wita() -> None:
    [text] = progress_messages(progress_report(3, 3), "Asia/Makassar")
    assert "Kemajuan pendataan Kecamatan Sampanahan" in text
    assert "Aktivitas terakhir: 12 Nov 2025 14.05 WITA" in text
    assert "Desa Desa &amp; 1: 1 terkirim · 12 Nov 14.05 WITA" in text
    assert "Kader &lt;0&gt; (Desa Desa &amp; 0): belum mulai" in text
    assert "Kader &lt;2&gt; (Desa Desa &amp; 2): 2 terkirim · 1 draf" in text


def test_long_progress_lists_are_capped_and_split_below_4096() -> None:
    messages = progress_messages(progress_report(150, 150), "Asia/Makassar")
    assert all(len(m) <= 4096 for m in messages)
    joined = "\n".join(messages)
    assert f"… dan {150 - PROGRESS_CAP} lainnya" in joined


def test_the_invite_message_holds_the_deep_link_village_and_expiry() -> None:
    invite = CreatedInvite(code="inv_ABCDEFGHIJKLMNOPQRSTUV", invite_id=1, role=Role.KADER,
                           area_code=SAMPANAHAN.code, max_uses=1,
                           expires_at=datetime(2025, 11, 19, 6, 5, tzinfo=UTC))
    text = invite_message(invite, SAMPANAHAN, "@ikk_bot", "Asia/Makassar")
    assert "https://t.me/ikk_bot?start=inv_ABCDEFGHIJKLMNOPQRSTUV" in text
    assert "Desa Sampanahan" in text and "kode 63.02.12.2005" in text
    assert "1 orang sampai 19 Nov 2025 14.05 WITA" in text


def test_a_choice_asked_for_verified_figures_keeps_that_in_every_button() -> None:
    answer: Answer[object] = Answer("choose", query="Sampanahan", options=(SAMPANAHAN, KECAMATAN))
    shown = choice_message(answer, Action.VERIFIED)
    assert shown.markup is not None
    rows = shown.markup.inline_keyboard
    tapped = [decode(button.callback_data) for row in rows for button in row]
    assert [button.action if button else None for button in tapped] == [Action.VERIFIED] * 2
    assert "terverifikasi" in lookup_failure(Answer("not_found", query="Xyz"), Action.VERIFIED)
