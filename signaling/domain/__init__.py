"""Pure rules of live rooms: the wire protocol, rate limits (no Django, no Channels)."""
