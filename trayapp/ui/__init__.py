"""What is left of the Tk windows' package: the metrics history and summaries, moving elsewhere (issue 12)."""
