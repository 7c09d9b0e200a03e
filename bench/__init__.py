"""`make bench`: load, startup and training figures for our bot beside a stock `rasa init` bot."""
