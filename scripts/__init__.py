"""Scripts for development and CI; run them from the repository root as `python -m scripts.<name>`."""
