"""Several bot tokens: which token serves which area, read and checked from the settings.

Telegram caps one bot token at about 30 messages a second (one token serves ~270 thinking
cadres, docs/deployment.md §10), so a province census runs one bot per kabupaten or so:
TELEGRAM_BOT_TOKENS (`63.02=111:aaa,63.03=222:bbb`) or TELEGRAM_BOT_TOKENS_FILE (CSV
`kode,token`), with TELEGRAM_BOT_TOKEN as the bot of every area no other bot covers. Every
mistake is one Indonesian line (`BotConfigError`), because `ikk-bot run` prints it and stops.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from telegram.ext import ContextTypes

from bot.db.bot_id import bot_id_of
from bot.db.engine import SessionFactory
from bot.db.models import Area
from bot.settings import Settings

__all__ = [
    "DIRECTORY_KEY",
    "FALLBACK",
    "BotConfigError",
    "BotDirectory",
    "BotToken",
    "bot_for_area",
    "check_areas",
    "configured_bots",
    "select_bots",
    "username_for_area",
]

TOKEN_SHAPE: Final = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
AREA_SHAPE: Final = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
FALLBACK: Final = "utama"
"""How `--wilayah` names the bot of TELEGRAM_BOT_TOKEN (it has no area of its own)."""
DIRECTORY_KEY: Final = "bot_directory"
"""Where each Application of a bot set keeps the shared `BotDirectory` (`bot_data`)."""


class BotConfigError(ValueError):
    """The bot tokens are configured wrongly (message: one Indonesian line)."""


@dataclass(frozen=True)
class BotToken:
    """One bot: its token and the area it serves (None: the fallback bot, every other area)."""

    area_code: str | None
    token: str = field(repr=False)

    @property
    def bot_id(self) -> int:
        """The number before ':' in the token: public, it is the bot's user id."""
        return bot_id_of(self.token)

    @property
    def label(self) -> str:
        """How an operator names this bot (`--wilayah`, log lines)."""
        return self.area_code or FALLBACK


def _pairs_from_setting(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        area, sep, token = part.partition("=")
        if not sep:
            raise BotConfigError(
                "TELEGRAM_BOT_TOKENS harus berisi KODE_WILAYAH=TOKEN dipisah koma, "
                "mis. 63.02=111:aaa...,63.03=222:bbb..."
            )
        pairs.append((area.strip(), token.strip()))
    return pairs


def _pairs_from_file(settings: Settings) -> list[tuple[str, str]]:
    path = settings.telegram_bot_tokens_file
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError:
        raise BotConfigError(
            f"Berkas TELEGRAM_BOT_TOKENS_FILE tidak dapat dibaca: {path}"
        ) from None
    pairs: list[tuple[str, str]] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or (number == 1 and cells[:1] == ["kode"]):
            continue
        if len(cells) != 2:
            raise BotConfigError(
                f"{path.name} baris {number}: harus dua kolom kode,token."
            )
        pairs.append((cells[0], cells[1]))
    return pairs


def _checked(pairs: Iterable[tuple[str, str]]) -> list[BotToken]:
    bots: list[BotToken] = []
    areas: set[str] = set()
    for area, token in pairs:
        if AREA_SHAPE.fullmatch(area) is None:
            raise BotConfigError(
                f"Kode wilayah {area!r} untuk token bot tidak dikenal: tulis kode Kemendagri, "
                "mis. 63.02."
            )
        if TOKEN_SHAPE.fullmatch(token) is None:
            raise BotConfigError(
                f"Token bot untuk wilayah {area} tidak berbentuk token BotFather "
                "(angka:huruf); salin ulang dari @BotFather."
            )
        if area in areas:
            raise BotConfigError(f"Wilayah {area} mendapat dua token bot: satu wilayah satu bot.")
        areas.add(area)
        bots.append(BotToken(area, token))
    return bots


def configured_bots(settings: Settings) -> list[BotToken]:
    """Every configured bot, deepest area first, the fallback (TELEGRAM_BOT_TOKEN) last.

    Raises `BotConfigError` for a malformed entry, an area given twice or one token for two
    bots, and when no token is configured at all (the message names TELEGRAM_BOT_TOKEN).
    """
    listed = settings.telegram_bot_tokens
    pairs = _pairs_from_setting(listed.get_secret_value()) if listed is not None else []
    bots = _checked([*pairs, *_pairs_from_file(settings)])
    single = settings.telegram_bot_token
    fallback = single.get_secret_value().strip() if single is not None else ""
    if fallback:
        bots.append(BotToken(None, fallback))
    if not bots:
        raise BotConfigError(
            "TELEGRAM_BOT_TOKEN belum diisi: buat bot lewat @BotFather lalu simpan tokennya "
            "di variabel lingkungan TELEGRAM_BOT_TOKEN (atau di berkas .env)."
        )
    tokens = [b.token for b in bots]
    if len(set(tokens)) != len(tokens):
        raise BotConfigError("Satu token bot tercantum dua kali: tiap wilayah butuh bot sendiri.")
    return sorted(bots, key=lambda b: (b.area_code is None, -len(b.area_code or ""),
                                       b.area_code or ""))


def select_bots(bots: Sequence[BotToken], wilayah: str | None) -> list[BotToken]:
    """The bots this process serves: all, or those named in `--wilayah 63.02,63.03`
    (`utama` is the bot of TELEGRAM_BOT_TOKEN)."""
    if wilayah is None:
        return list(bots)
    wanted = [w.strip() for w in wilayah.split(",") if w.strip()]
    by_label = {b.label: b for b in bots}
    unknown = [w for w in wanted if w not in by_label]
    if unknown or not wanted:
        known = ", ".join(by_label)
        raise BotConfigError(
            f"--wilayah {', '.join(unknown) or '(kosong)'} tidak punya bot; yang ada: {known}."
        )
    return [by_label[w] for w in dict.fromkeys(wanted)]


def bot_for_area(bots: Sequence[BotToken], area_code: str | None) -> BotToken | None:
    """The bot a user of `area_code` belongs to: the deepest configured area covering hers,
    else the fallback bot (None: no bot serves her area)."""
    fallback: BotToken | None = None
    for bot in bots:  # deepest first (configured_bots' order)
        if bot.area_code is None:
            fallback = bot
        elif area_code is not None and (
            area_code == bot.area_code or area_code.startswith(bot.area_code + ".")
        ):
            return bot
    return fallback


async def check_areas(session_factory: SessionFactory, bots: Sequence[BotToken]) -> None:
    """`BotConfigError` when a bot's area is not in the area table (checked at start)."""
    codes = {b.area_code for b in bots if b.area_code is not None}
    if not codes:
        return
    async with session_factory() as session:
        known = set((await session.execute(select(Area.code).where(Area.code.in_(codes))))
                    .scalars())
    missing = sorted(codes - known)
    if missing:
        raise BotConfigError(
            f"Wilayah {', '.join(missing)} (TELEGRAM_BOT_TOKENS) tidak ada di data wilayah: "
            "periksa kodenya atau impor wilayah dulu (ikk-bot areas import)."
        )


@dataclass
class BotDirectory:
    """Every configured bot (also those another process serves) and their usernames."""

    bots: Sequence[BotToken]
    usernames: dict[int, str] = field(default_factory=dict)

    def owner(self, area_code: str | None) -> BotToken | None:
        """The bot a user of `area_code` belongs to (None: no bot serves that area)."""
        return bot_for_area(self.bots, area_code)

    def username_of(self, area_code: str | None) -> str | None:
        """The username of the bot of `area_code`, when known."""
        owner = self.owner(area_code)
        return self.usernames.get(owner.bot_id) if owner is not None else None


def username_for_area(context: ContextTypes.DEFAULT_TYPE, area_code: str) -> str | None:
    """The username of the bot that serves `area_code` (None: a single-bot deployment)."""
    directory = context.bot_data.get(DIRECTORY_KEY)
    if not isinstance(directory, BotDirectory):
        return None
    return directory.username_of(area_code)
