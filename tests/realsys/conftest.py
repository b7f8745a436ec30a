"""The derivation scripts under ``derive/`` write the corpus from repository snapshots; they are not tests."""

collect_ignore_glob = ["derive/*"]
