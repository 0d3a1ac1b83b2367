"""An app whose import raises: gunicorn exits 3 (WORKER_BOOT_ERROR) for it, and so must PyHost."""
raise RuntimeError("this module fails while it is being imported")
