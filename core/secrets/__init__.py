"""Secret values: which names and values are sensitive and how they are masked (``sensitivity``), and
references to secrets inside values (``secretrefs``).

May import: the base modules only (pure code).
"""
