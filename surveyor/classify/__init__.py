"""Classification backends, the interface they share, and the runner that drives them."""
