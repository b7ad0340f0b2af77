"""A module that fails to import: the worker exits 3 (WORKER_BOOT_ERROR)."""
raise ImportError("this module is broken on purpose")
