"""``python -m divergences``: the same as the ``divergences`` command."""

from .cli import main

# Guarded so that importing this module (pytest's doctest collection does) runs nothing.
if __name__ == "__main__":
    raise SystemExit(main())
