"""The work behind each `Cluster` verb, one module per group of verbs."""
