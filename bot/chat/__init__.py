"""Conversation logic for the request flows (cancellation, schedule change).

The Rasa custom actions in ``actions/`` are thin adapters over this package:

* :mod:`bot.chat.identity`  who is talking (JWT in ``metadata.auth`` of the latest message);
* :mod:`bot.chat.planning`  the booking store as the flows see it (one unit of work per call);
* :mod:`bot.chat.understanding`  reasons, yes/no, which intervention, corrections;
* :mod:`bot.chat.new_slot`  the new date/start/end of a schedule change;
* :mod:`bot.chat.flows`  one step of each form: slot updates and French replies;
* :mod:`bot.chat.wording`  every sentence the user reads.
"""
