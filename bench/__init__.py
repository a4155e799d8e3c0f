"""lcc_plus benchmarks: `python -m bench` measures everything and writes bench/results/README.md."""
