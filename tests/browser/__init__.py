"""Real-browser tests of the web client (a package, so its conftest does not shadow tests/')."""
