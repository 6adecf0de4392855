"""Local and operator tooling (not shipped to Lambda)."""
