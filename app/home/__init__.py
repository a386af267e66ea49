"""The public front: the list of missions, a mission's home page, language choice, health."""
