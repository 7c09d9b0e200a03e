"""Free-text understanding of medicines, ages and durations (issue 4).

Plain-Python extraction lives in :mod:`bot.nlu.extract`; the Rasa glue in
:mod:`bot.nlu.component`. Importing this package does not import Rasa.
"""
