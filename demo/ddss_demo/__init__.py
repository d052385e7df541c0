"""Demo and development tools for ddss, kept out of the runtime package.

* ``generate`` — the departments' synthetic feeds with injected defects and a truth manifest,
  made by ``feeds`` (one module per department, named as its landing folder);
* ``api_server`` — the departments' paginated JSON API, served on 127.0.0.1 from those feeds;
* ``crosswalk`` — rebuilds the committed pre-2025 ward crosswalk from its source package;
* ``commands`` — ``ddss generate``, ``ddss demo``, ``ddss serve-api``, ``ddss legacy-wards``,
  added to the ``ddss`` command line through the ``ddss.commands`` entry-point group.

``ddss`` never imports this package by name; installed with the dev tools (``make``
installs it beside the runtime package).
"""
