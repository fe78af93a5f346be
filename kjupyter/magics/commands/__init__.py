"""One module per group of `%k8s` verbs; each registers its verbs on import."""
