"""Extraction of names, kinds and mentions from paper text."""
