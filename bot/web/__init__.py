"""HTTP and socket.io handlers: thin, the logic is in the modules above."""
