"""Load and throughput benchmarks (`make bench` = `python -m bench.run`); see bench/README.md."""
