"""Scheduled delivery: the dispatcher job and what it sends through Telegram.

Like handlers, this layer translates between Telegram and the services; the rules
(what is due, what a failure means) live in `bot.services.deliveries` and friends.
"""
