"""The `daybook` command: Daybook on one machine, and the tools to drive it."""
