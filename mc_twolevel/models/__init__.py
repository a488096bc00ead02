"""The built-in models: each module here defines ``MODEL`` and is found by the registry."""
