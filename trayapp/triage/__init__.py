"""Crash reports: what a program printed before it died, why (when known) and what to do.

Pure parts, called by the supervisor when a program exits unexpectedly:
  recent.py    the output of the current run, bounded (fed line by line by the log pumps)
  excerpt.py   the last traceback, stack or panic in that output, else the lines that read as errors
  classify.py  known causes, each with a one-line cause and a one-line fix
  report.py    the frozen CrashReport built from the above, to and from JSON
"""
