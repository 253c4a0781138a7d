"""Per-problem charts of ``solve --plot`` and ``report`` (matplotlib);
``figure`` holds what they share."""
