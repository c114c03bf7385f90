"""`ikk-bot demo`: the project shown offline, with a synthetic village and the Bot API emulator.

- `synthetic`: a seeded, labelled synthetic Desa Sampanahan stored as the bot stores families.
- `harness`: the real bot polling the emulator in this process, and "wait until it is done".
- `printer`: the chats printed as they happen (colours on a terminal, plain when piped).
- `story`: the scripted session (admin, kader, pejabat, weekly alert) and its outputs.
- `interactive`: a person chats with the bot in the terminal as a kader or a pejabat.
"""
