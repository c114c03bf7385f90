"""Repositories: every read and write of stored data, with the acting user's scope enforced."""
