"""Kỹ năng số: the tutor application (CLI, dialogue, quiz rules, channels)."""
