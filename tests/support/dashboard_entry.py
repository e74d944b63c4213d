"""The dashboard as AppTest should see it: ``dashboard.py`` run as the main script from here.

Streamlit decides per run whether an app is an old-style multipage app by whether a ``pages/``
folder sits beside the main script; ``AppTest`` re-decides it on every run, so started on
``dashboard.py`` it would run a page file directly, without the frame (navigation, catch-all).
A running server decides it once, and ``st.navigation`` settles it for good on the first run.
Run from this folder (no ``pages/`` beside it), the tests see what that server shows.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[2] / "dashboard.py"), run_name="__main__")
