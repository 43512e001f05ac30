"""The watch page's rules in plain Python: text, rate limits and the wire messages."""
