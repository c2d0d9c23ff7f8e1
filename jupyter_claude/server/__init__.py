"""The Jupyter server extension: the app (:mod:`.app`), the REST routes (:mod:`.handlers`) and
websockets (:mod:`.websockets`), the one events watcher (:mod:`.events`) and the live pane views
(:mod:`.stream`). Handlers are thin: handler → ``ClaudeSessions`` → one tmux call."""
