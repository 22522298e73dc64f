"""Paper and event entry: staff key in a response through the same questions."""
