"""Writes to sessions and occurrences; each function runs in one transaction."""
