"""meet: web conferencing and training rooms for Vietnam's education sector."""
