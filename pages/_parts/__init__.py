"""Drawing helpers of one page each, kept out of the page module so it stays short (pages only draw
and call ``core``: logic belongs in ``core/views`` or the other core packages, not here).
"""
