"""Events out of the outbox: webhooks for the retailer's systems, live updates for pages on every
server process (Redis pub/sub across processes and machines)."""
