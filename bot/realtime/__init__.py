"""The only layer that knows socket.io: rooms, events, who is connected."""
