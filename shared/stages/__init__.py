"""Stage handlers: plain functions of a message and the services, returning an Outcome."""
