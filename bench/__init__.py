"""One script per figure the issues name, on one harness (bench/harness); see bench/README.md."""
