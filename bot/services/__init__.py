"""Domain rules. Nothing here imports `telegram`: handlers translate, services decide."""
