"""The imperative shell of the IKK bot: Telegram, storage, scheduling, CLI and the emulator."""
