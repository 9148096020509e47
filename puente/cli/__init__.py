"""The `puente` command: a thin shell over the services."""
