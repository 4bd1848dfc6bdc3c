"""The web gateway: the only public surface (Rasa and the action server stay on loopback)."""
