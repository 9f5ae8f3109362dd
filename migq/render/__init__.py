"""Renderers: tables, maps and documents drawn from the same tallies."""
