"""Reading the store for analysis: replies, answers, codings and the roster as DataFrames.

Everything here is I/O; the counting itself lives in ``migq.tally`` (pure functions).
"""

from migq.analysis.replies import Replies, load_replies, roster_frame

__all__ = ["Replies", "load_replies", "roster_frame"]
