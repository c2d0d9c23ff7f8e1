"""The shared core every front end calls: task ids, task files, tmux, the ``Session`` record and its
one listing, the ``ClaudeSessions`` manager, task logs and the log writer, the user's own terminal,
the words every front end shows, and the one command table of the CLI and ``%claude``.

It imports nothing from the layers above it (workflow, server, notebook, cli).
"""
