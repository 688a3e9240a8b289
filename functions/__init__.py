"""Thin trigger adapters: one Blueprint per module."""
