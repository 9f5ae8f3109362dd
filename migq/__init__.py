"""migq: run a questionnaire to the governments of the world, end to end."""

__version__ = "0.1.0"
