"""The Click application ``schedcert`` (``cli/main.py``): a thin layer over
the registry in ``schedcert.registry``."""
