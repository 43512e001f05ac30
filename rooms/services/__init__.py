"""Writes to the directory, rooms and sites; each function runs in one transaction."""
