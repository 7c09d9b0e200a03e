"""Patient questions outside the prescreen: the FAQ lookup over the trial's answers file and the
fallback menu."""
