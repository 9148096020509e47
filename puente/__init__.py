"""Puente: one sovereign node of the US–Mexico security information-sharing platform."""

__version__ = "0.1.0"
