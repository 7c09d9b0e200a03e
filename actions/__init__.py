"""Rasa action server: thin actions that call into the plain-Python `bot` package."""
