"""What the libraries accept, known without importing them: trainer arguments, loss names and their arguments.

Torch-free (committed snapshots, checked against the installed libraries by tests), so `validate` stays instant.
"""
