"""Pure dialogue engine: what to ask next, how to take a reply, back, edit, review.

No telegram, no database, no I/O: see `conversations.engine` for the public API.
"""
