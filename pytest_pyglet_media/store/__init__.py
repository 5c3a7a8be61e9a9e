"""Session folders, recordings, file references, the corpus manifest and bundles: what is kept on disk."""
