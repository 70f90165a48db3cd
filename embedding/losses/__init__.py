"""Losses: config names -> modules. Importing this package must not import torch (`validate` stays instant).

Use `embedding.losses.registry` (torch-free checks) and `embedding.losses.build` (builds modules).
"""
