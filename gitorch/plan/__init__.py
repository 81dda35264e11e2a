"""Plans: the model (Structs), loading (YAML/JSON/TOML + include), validation, the DAG."""
