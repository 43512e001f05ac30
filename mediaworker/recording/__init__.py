"""Recordings and the HLS program, written while a session runs (see docs/media.md).

Each recording is one directory (``layout.RecordingPaths``) whose ``status.json`` is
the contract between the media worker that writes it and the web process that shows
it: the worker never touches the database, the web side never touches a peer.
"""
