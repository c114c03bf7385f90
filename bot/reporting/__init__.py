"""Rendering of area results into things people forward: a chart (PNG) and a workbook (xlsx).

Pure rendering from `ikk_core.results` values: no database, no Telegram, so the bot handler, the
command line and the demo all produce the same picture and the same file from the same numbers.
"""
