"""Benchmarks of layerwise's training iteration against its peers; run ``python -m benchmarks``."""
