"""The dashboard's pages: each module draws one page and calls ``core``; ``_ui`` holds what they share."""
