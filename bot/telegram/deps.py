"""What the handlers need from the outside world, handed to them once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db.database import Database
from bot.db.engine import SessionFactory
from bot.services.context import ServiceContext
from bot.settings import Settings
from ikk_core.instrument import Instrument

__all__ = ["Deps"]


@dataclass(frozen=True)
class Deps:
    """Settings, the database and the instrument new families are asked with."""

    settings: Settings
    database: Database
    instrument: Instrument

    @property
    def session_factory(self) -> SessionFactory:
        return self.database.session_factory

    @property
    def services(self) -> ServiceContext:
        """What every service call takes: sessions, the instrument, the local time zone."""
        return ServiceContext.create(self.session_factory, self.settings, self.instrument,
                                     short_writes=self.database.short_writes)
