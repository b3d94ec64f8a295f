"""The demo: the whole product against the local ARM emulator and local alert receivers (``python -m demo``).

A development tool, like ``emulator``: it may import ``emulator`` and ``monitors``, and ``monitors`` never imports it;
``.funcignore`` keeps it out of the function package.
"""
