"""Pure domain core of ikk-bot: the instrument, expressions, family scoring and area aggregation."""
