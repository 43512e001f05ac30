"""The WebSocket protocol of live rooms: presence, chat, polls, hands, moderation."""
