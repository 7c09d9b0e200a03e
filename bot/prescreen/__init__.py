"""The prescreen: the questions a patient answers, how each reply is read, and the eligibility
engine that scores the answers."""
