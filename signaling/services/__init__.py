"""Writes of live rooms; each function runs in one transaction and announces on commit."""
