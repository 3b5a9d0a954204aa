"""Operations: serve wiring, the command line, admin commands, supervisor, config, logs, metrics."""
