"""Pure rules of recordings and the public archive: no Django, Channels, aiortc or PyAV."""
