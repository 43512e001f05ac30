"""The media worker: an asyncio SFU, recorder and HLS writer. Imports no Django."""
