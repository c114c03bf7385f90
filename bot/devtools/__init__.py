"""Tools for developers (tests, benchmarks, demos); never imported by the running bot."""
