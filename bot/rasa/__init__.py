"""Rasa glue that Rasa loads by dotted name: the REST and socket.io channels, the encrypted tracker
store, the lock store and the widget's session token."""
