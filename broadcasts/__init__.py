"""Public webinars: the watch page at /<slug>/live/, its live viewer count, Q&A and chat."""
