"""Exporters: each turns the workspace's papers and labels into files under output/."""
