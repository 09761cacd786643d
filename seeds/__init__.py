"""The Wuchang demo dataset (synthetic but plausible) and the benchmark generator."""
