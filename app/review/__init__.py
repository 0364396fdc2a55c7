"""Review workflow: revision states and the rules of who may do what."""
