"""Writes of competitions, one module per concept."""
