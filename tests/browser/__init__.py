"""Browser tests: the dashboard under ``streamlit run``, driven in real Chromium by Playwright."""
