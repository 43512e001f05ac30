"""The organisation directory, rooms and their naming, unit accounts and meeting sites."""
