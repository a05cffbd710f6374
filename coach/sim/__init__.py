"""Generators of test sessions with their ground truth (never read by the judge)."""
