"""`python -m server`: the service with settings from the environment."""

from server.serve import serve

serve()
