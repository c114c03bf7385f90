"""Thin Telegram handlers: parse the update, call one service function, render the reply."""
