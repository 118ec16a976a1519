"""Channel adapters: each only translates between its platform and Incoming/Reply."""
