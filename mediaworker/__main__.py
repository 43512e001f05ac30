"""``python -m mediaworker``: the media worker as its own process (the same as ``meet media``)."""

from mediaworker.standalone import main

main()
