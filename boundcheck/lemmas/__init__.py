"""The claims of Bai & Lee, "Beyond Linearization" (ICLR 2020): the pack ``bai-lee-2020``.

One module per part of the paper; each registers its checks with :func:`boundcheck.api.claim`
when imported (``boundcheck.run.registry.claims()`` imports them all, through the entry point
``bai-lee-2020`` of the group ``boundcheck.claims``).
"""

#: The pack every claim of this package belongs to.
PACK = "bai-lee-2020"
