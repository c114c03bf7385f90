"""The Telegram adapter: python-telegram-bot handlers over the services, one composition root."""

from bot.telegram.application import BotApplication, MissingToken, build_application

__all__ = ["BotApplication", "MissingToken", "build_application"]
