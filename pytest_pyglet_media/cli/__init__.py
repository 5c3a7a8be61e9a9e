"""The `pyglet-mp` commands: sessions, compare, merge, bundle, prune, the corpus builder."""
