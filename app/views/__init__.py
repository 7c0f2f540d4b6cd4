"""HTML views. Thin and declarative: what they do lives in the domain modules (accounts, units, schedule...)."""
