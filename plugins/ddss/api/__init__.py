"""The read-only query API over the published open data (``ddss serve``): see ``app``."""
