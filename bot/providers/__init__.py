"""Review-platform clients (Gumado, Cloutly) behind one normalized model."""
