"""One module per command: score, run (live), history, info; cli.py calls them."""
