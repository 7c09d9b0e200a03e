"""Running the assistant: settings and .env files, the local stack and the production profile that
start and supervise the processes, and stopping them cleanly."""
